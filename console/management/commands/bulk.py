"""`manage.py bulk`: preview a bulk cancel, replay or retry, and with --yes carry it out here.

manage.py bulk cancel --function shop-process-order --if 'event.data.total > 10'
manage.py bulk retry --app shop --yes
manage.py bulk replay --ids 01J...,01J...
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import actions
from runs import bulk
from runs.models import BulkKind
from runs.selectors import RunSelector, SelectorError


class Command(BaseCommand):
    help = "Bulk cancel, replay or retry runs chosen by app, function, status, time and CEL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=BulkKind.values)
        for name in ("app", "function", "status", "from", "to", "if"):
            parser.add_argument(f"--{name}", default="")
        parser.add_argument("--ids", default="", help="run ids, comma-separated")
        parser.add_argument("--yes", action="store_true", help="confirm and carry it out now")

    def handle(self, *args: object, **options: object) -> None:
        try:
            selector = RunSelector.from_params(options)
            action = bulk.prepare(str(options["kind"]), selector, "manage.py")
        except SelectorError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"bulk {action.kind} #{action.pk}: {action.total} matching runs")
        self.stdout.write(f"  runs: {selector.in_words()}")
        for run_id in action.run_ids[:20]:
            self.stdout.write(f"  {run_id}")
        if action.total > 20:
            self.stdout.write(f"  ... and {action.total - 20} more")
        if not options["yes"]:
            self.stdout.write("preview only: run again with --yes to carry it out")
            return
        actions.confirm_bulk(None, action)
        bulk.execute(action.pk)  # here and now; a worker given the same id would find it done
        action.refresh_from_db()
        self.stdout.write(f"{action.status}: {action.done} done, {action.skipped} skipped")
