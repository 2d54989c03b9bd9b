"""`manage.py devserver`: API, pages, websockets and the executor in one process."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from devserver import datadir, embedded
from foundation import isolation


class Command(BaseCommand):
    help = "Start the Inngest-compatible dev server (flags as in `inngest dev`)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "-u",
            "--sdk-url",
            action="append",
            default=[],
            help="An app's serve URL to sync (repeatable), e.g. http://127.0.0.1:3000/api/inngest",
        )
        parser.add_argument("--port", "-p", type=int, default=8288)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--no-discovery", action="store_true", help="Do not look for apps on common ports."
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=None,
            help="Seconds between re-syncs of known apps (default 5).",
        )
        parser.add_argument(
            "--data-dir",
            default=None,
            help="Folder for the SQLite database (default: DEVSERVER_DATA_DIR or .devserver-data).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete all stored state before starting."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(options["data_dir"]) if options["data_dir"] else settings.DATA_DIR
        datadir.use_data_dir(data_dir, reset=options["reset"])
        settings.SDK_URLS = [*settings.SDK_URLS, *options["sdk_url"]]
        settings.DISCOVERY = settings.DISCOVERY and not options["no_discovery"]
        if options["poll_interval"] is not None:
            settings.POLL_INTERVAL = options["poll_interval"]
        url = f"http://{options['host']}:{options['port']}"
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.STAGING:
            embedded.start_all()  # staging runs `celery worker` and `celery beat` on their own
        self.stdout.write(
            f"Inngest dev server on {url} (data: {data_dir}); "
            f"apps: {', '.join(settings.SDK_URLS) or 'discovery only'}"
        )
        _serve(options["host"], options["port"])


def _serve(host: str, port: int) -> None:
    from devserver.asgi import application  # django.setup() at import: only once serving

    if settings.FILTERS_IN_WORKER:
        isolation.warm_up()  # the filter worker starts while the web process does
    if settings.HTTP_SERVER == "uvicorn":
        from devserver.uvicorn_server import serve  # the web server's loop: only once serving
    else:
        from devserver.http_server import serve  # loads daphne and Twisted: only once serving
    serve(application, host, port)
