"""`manage.py functions`: invoke a function with data, fire its cron now, pause or resume it.

manage.py functions invoke shop-hello-world --data '{"name": "Ada"}'
manage.py functions run-cron shop-nightly-report
manage.py functions pause shop-nightly-report
manage.py functions inspect shop-sync-orders   (its flow-control keys now, as JSON)
manage.py functions stats shop-sync-orders --window 1d   (its chart figures, as JSON)
manage.py functions release shop-sync-orders --hold debounce|batch [--key K]   (time travel:
    the hold's run starts now; the hold's kind and key as `inspect` lists them)
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import actions
from foundation import strict_json
from runs.flow_state import flow_state
from runs.function_stats import WINDOWS, function_stats
from runs.manual import CannotStart
from runs.models import Function
from runs.pausing import PauseUnchanged

from . import _time_travel_text


class Command(BaseCommand):
    help = "Invoke a function with JSON data, run its cron now, pause, resume or inspect it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["invoke", "run-cron", "pause", "resume", "inspect", "stats", "release"],
        )
        parser.add_argument("slug")
        parser.add_argument("--data", default="{}", help="event.data for invoke: a JSON object")
        parser.add_argument("--window", default="1h", choices=list(WINDOWS), help="for stats")
        parser.add_argument("--hold", default="", help="release: debounce or batch")
        parser.add_argument("--key", default="", help="release: the hold's key")

    def handle(self, *args: object, **options: str) -> None:
        function = Function.objects.filter(slug=options["slug"]).first()
        if function is None:
            raise CommandError(f"no function {options['slug']}")
        if options["action"] == "inspect":
            state = flow_state(function).as_json()
            self.stdout.write(json.dumps(state, indent=2, default=str))
            return
        if options["action"] == "stats":
            stats = function_stats(function, options["window"]).as_json()
            self.stdout.write(json.dumps(stats, indent=2))
            return
        if options["action"] == "release":
            line = _time_travel_text.release_hold(function, options["hold"], options["key"])
            self.stdout.write(line)
            return
        if options["action"] in ("pause", "resume"):
            self._pause_or_resume(function, options["action"])
            return
        try:
            if options["action"] == "invoke":
                data = strict_json.loads(options["data"])
                if not isinstance(data, dict):
                    raise CommandError("--data must be a JSON object")
                run = actions.invoke_function(None, function, data)
            else:
                run = actions.run_cron_now(None, function)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--data is not valid JSON: {exc}") from None
        except CannotStart as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"started run {run.id}")

    def _pause_or_resume(self, function: Function, action: str) -> None:
        try:
            if action == "pause":
                actions.pause_function(None, function)
                self.stdout.write(f"paused {function.slug}")
            else:
                woken = actions.resume_function(None, function)
                self.stdout.write(f"resumed {function.slug} ({woken} held step(s) woken)")
        except PauseUnchanged as exc:
            raise CommandError(str(exc)) from None
