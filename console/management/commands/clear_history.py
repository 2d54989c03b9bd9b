"""`manage.py clear_history`: delete ended runs and unused events (all, or past retention)."""

from django.core.management.base import BaseCommand, CommandParser

from console import actions


class Command(BaseCommand):
    help = "Delete every ended run and the events no run needs (--expired: only past retention)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expired", action="store_true", help="only what DEVSERVER_RETENTION_DAYS expires"
        )

    def handle(self, *args: object, **options: object) -> None:
        counts = actions.clear_history(None, expired=bool(options["expired"]))
        self.stdout.write(f"deleted {counts['runs']} runs and {counts['events']} events")
