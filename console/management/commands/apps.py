"""`manage.py apps`: add an app by its serve URL or re-sync one, now; or remove one.

manage.py apps sync http://127.0.0.1:3000/api/inngest
manage.py apps remove http://127.0.0.1:3000/api/inngest
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import actions
from runs.models import App
from runs.registration import AppBusy


class Command(BaseCommand):
    help = "Add (or re-sync) an app by its serve URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sync", "remove"])
        parser.add_argument("url")

    def handle(self, *args: object, **options: str) -> None:
        url = options["url"]
        if not url.startswith(("http://", "https://")):
            raise CommandError("give the http(s) URL of the app's serve endpoint")
        if options["action"] == "remove":
            self._remove(url)
            return
        error = actions.sync_app_now(None, url)
        if error:
            raise CommandError(error)
        self.stdout.write(f"{url} answered the sync; it registers with the running server")

    def _remove(self, url: str) -> None:
        app = App.objects.filter(url=url).first()
        if app is None:
            raise CommandError(f"no app at {url}")
        try:
            actions.remove_app(None, app)
        except AppBusy as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"removed {url}, its functions and their runs")
