"""`manage.py events`: send events (as `POST /e/{key}` takes them) or send one again.

manage.py events send '{"name": "shop/order.placed", "data": {"total": 5}}'
echo '[{"name": "a"}, {"name": "b"}]' | manage.py events send -
manage.py events resend EVENT_ID
"""

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import actions
from events.ingest import EventValidationError, InternalEventNotResent, parse_body
from events.models import Event


class Command(BaseCommand):
    help = "Send events (JSON argument or - for stdin) or send a stored event again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send", "resend"])
        parser.add_argument("value", help="JSON (or - for stdin) to send; an event id to resend")

    def handle(self, *args: object, **options: str) -> None:
        if options["action"] == "resend":
            event = Event.objects.filter(pk=options["value"]).first()
            if event is None:
                raise CommandError(f"no event {options['value']}")
            try:
                again = actions.resend_event(None, event)
            except InternalEventNotResent as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(again.id)
            return
        raw = sys.stdin.read() if options["value"] == "-" else options["value"]
        try:
            incoming = parse_body(raw.encode())
        except EventValidationError as exc:
            raise CommandError(str(exc)) from None
        ids = actions.send_events(None, incoming).ids
        for event_id in ids:
            self.stdout.write(event_id)
