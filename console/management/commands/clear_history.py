"""`manage.py clear_history`: delete ended runs and unused events (all, or past retention)."""

from django.core.management.base import BaseCommand, CommandParser

from console import audit
from runs import retention


class Command(BaseCommand):
    help = "Delete every ended run and the events no run needs (--expired: only past retention)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expired", action="store_true", help="only what DEVSERVER_RETENTION_DAYS expires"
        )

    def handle(self, *args: object, **options: object) -> None:
        counts = retention.purge_expired() if options["expired"] else retention.clear_history()
        audit.record(None, "history.clear", "", expired=bool(options["expired"]), **counts)
        self.stdout.write(f"deleted {counts['runs']} runs and {counts['events']} events")
