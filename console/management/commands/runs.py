"""`manage.py runs`: list and show runs, and the dashboard's actions on one run, from a shell.

manage.py runs list [--status Failed --app shop --function F --from ISO --to ISO --if CEL] [--json]
manage.py runs show RUN_ID [--json]
manage.py runs cancel RUN_ID
manage.py runs plan RUN_ID --as rerun --step charge
manage.py runs replay|retry RUN_ID
manage.py runs rerun RUN_ID --step NAME_OR_HASHED_ID [--input '[21]']
manage.py runs wake|timeout RUN_ID   (time travel: a sleep or a wait ends now; dev mode)
manage.py runs send-event RUN_ID [--step NAME] [--data JSON]   (time travel: the awaited event,
    prefilled from the wait's `if` unless --data says otherwise)
manage.py runs release RUN_ID   (time travel: a run a throttle queues starts now)
manage.py runs diff RUN_A RUN_B [--json]   (two runs of one function, step by step)
manage.py runs export RUN_ID [-o run.json]   (the run as a test fixture; stdout without -o)
manage.py runs import run.json   (a run exported by another server, to rerun from a step here)
"""

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import actions, fixture_source
from foundation.selection import SelectorError
from runs.cancellation import RunAlreadyEnded
from runs.fixture_format import BadFixture, load_fixture
from runs.forks import BadStepInput, ForkNotAllowed, parse_step_input, plan
from runs.models import Run, Step
from runs.run_diff import DifferentFunctions, diff_runs
from runs.selectors import RunSelector
from runs.timetravel import NothingToMove, TimeTravelOff

from . import _time_travel_text
from ._diff_text import diff_lines
from ._run_text import detail_json, run_json, run_lines, run_table

ACTIONS = [
    *("list", "show", "cancel", "plan", "replay", "retry", "rerun", "wake", "timeout", "diff"),
    *("export", "import"),
    *("send-event", "release"),
]


class Command(BaseCommand):
    help = "List and show runs; cancel, replay, retry or rerun one (as the dashboard does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument(
            "run_id", nargs="?", default="", help="the run (all but list); import: the file"
        )
        parser.add_argument("other_run_id", nargs="?", default="", help="diff: the second run")
        parser.add_argument("--step", default="", help="step name or hashed id (rerun, plan)")
        parser.add_argument("--input", default=None, help="new step input: a JSON array")
        parser.add_argument("--data", default=None, help="send-event: the event's data (JSON)")
        parser.add_argument("--as", dest="plan_action", default="rerun", help="for plan")
        # The runs page's filters, with the same names as its URL and GET /api/runs.
        for name in ("status", "app", "function", "from", "to", "if", "cursor"):
            parser.add_argument(f"--{name}", default="", help=f"list: the `{name}` filter")
        parser.add_argument("--limit", type=int, default=50, help="list: runs per page")
        parser.add_argument("--json", action="store_true", help="list, show: print JSON")
        parser.add_argument("-o", "--output", default="", help="export: the file to write")

    def handle(self, *args: object, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options)
            return
        if action == "import":
            self._import(options["run_id"])
            return
        if not options["run_id"]:
            raise CommandError(f"runs {action} needs a RUN_ID")
        run = Run.objects.select_related("function", "event").filter(pk=options["run_id"]).first()
        if run is None:
            raise CommandError(f"no run {options['run_id']}")
        if action == "diff":
            self._diff(run, options["other_run_id"], options["json"])
        elif action == "show":
            self._show(run, options["json"])
        elif action == "export":
            self._export(run, options["output"])
        elif action == "cancel":
            try:
                actions.cancel_run(None, run.id, "cancelled from the command line")
            except RunAlreadyEnded as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"cancelled {run.id}")
        elif action == "send-event":
            line = _time_travel_text.send_awaited_event(run, options["step"], options["data"])
            self.stdout.write(line)
        elif action == "release":
            self.stdout.write(_time_travel_text.release_throttled_run(run))
        elif action in ("wake", "timeout"):
            act = actions.wake_run_now if action == "wake" else actions.time_out_run_now
            try:
                steps = act(None, run.id)
            except (TimeTravelOff, NothingToMove) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"{run.id}: {', '.join(steps)} {'woke' if action == 'wake' else 'timed out'} now"
            )
        else:
            self._fork(run, action, options)

    def _list(self, options: dict[str, Any]) -> None:
        try:
            selector = RunSelector.from_params(options)
            runs, next_cursor = selector.page(options["cursor"], min(max(options["limit"], 1), 500))
        except SelectorError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            page = {"runs": [run_json(run) for run in runs], "next_cursor": next_cursor}
            self.stdout.write(json.dumps(page, indent=2))
            return
        for line in run_table(runs):
            self.stdout.write(line)
        if next_cursor:
            self.stdout.write(f"more: add --cursor {next_cursor}")

    def _diff(self, run: Run, other_id: str, as_json: bool) -> None:
        other = Run.objects.select_related("function", "event").filter(pk=other_id).first()
        if other is None:
            raise CommandError(f"runs diff needs a second run: no run {other_id!r}")
        try:
            diff = diff_runs(run, other)
        except DifferentFunctions as exc:
            raise CommandError(str(exc)) from None
        lines = [json.dumps(diff.as_json(), indent=2)] if as_json else diff_lines(diff)
        for line in lines:
            self.stdout.write(line)

    def _show(self, run: Run, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(detail_json(run), indent=2))
            return
        for line in run_lines(run):
            self.stdout.write(line)

    def _export(self, run: Run, path: str) -> None:
        text = json.dumps(fixture_source.export_run(None, run), indent=2)
        if not path:
            self.stdout.write(text)
            return
        with open(path, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        self.stdout.write(f"exported {run.id} to {path}")

    def _import(self, path: str) -> None:
        if not path:
            raise CommandError("runs import needs the fixture file: runs import run.json")
        try:
            with open(path, "rb") as file:
                # One byte past the limit is enough to refuse it (load_fixture names the limit).
                fixture = load_fixture(file.read(settings.REQUEST_MAX_BYTES + 1))
            run = actions.import_run(None, fixture)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        except BadFixture as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"imported {fixture.run_id or 'the run'} from {fixture.source or 'an unnamed server'}"
            f" as {run.id} ({run.status})"
        )

    def _fork(self, run: Run, action: str, options: dict[str, Any]) -> None:
        step = _step(run, options["step"])
        step_id = step.hashed_id if step else ""
        try:
            if action == "plan":
                result = plan(run, options["plan_action"], step_id)
                self.stdout.write(f"reused: {', '.join(s.name for s in result.reused) or '-'}")
                self.stdout.write(f"run again: {', '.join(result.rerun) or '-'}")
                return
            step_input = _input(options["input"], action, step)
            new_run = actions.fork_run(None, run, action, step_id, step_input)
        except ForkNotAllowed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{action}: new run {new_run.id} (from {run.id})")


def _step(run: Run, name_or_id: str) -> Step | None:
    if not name_or_id:
        return None
    step = (
        run.steps.filter(hashed_id=name_or_id).first() or run.steps.filter(name=name_or_id).first()
    )
    if step is None:
        raise CommandError(f"run {run.id} has no step {name_or_id!r}")
    return step


def _input(text: str | None, action: str, step: Step | None) -> list | None:
    """The edited input, allowed where the run page offers it: a rerun from a step whose SDK
    recorded its input (the JS SDK's `step.run(id, fn, ...input)`; the Python SDK records
    none, so there is nothing the SDK would replace)."""
    if text is None:
        return None
    if action != "rerun" or step is None:
        raise CommandError("--input goes with `rerun --step NAME` only")
    if (step.opts or {}).get("input") is None:
        raise CommandError(
            f"step {step.name!r} recorded no input, so it cannot be rerun with another one "
            "(only the JS SDK's step.run(id, fn, ...input) records its input); "
            "rerun it without --input"
        )
    try:
        return parse_step_input(text)
    except BadStepInput as exc:
        raise CommandError(f"--input: {exc}") from None
