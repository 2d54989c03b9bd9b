"""App config for runs: connects the engine's receivers and hooks (runs/hooks.py)."""

from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        # Inside ready(): the hooks import the models, which cannot load before the registry.
        from . import hooks

        hooks.connect()
        # Connect's workers answer the calls to `connect://` step URLs (runs/connect/).
        from .connect.dispatch import dispatch
        from .sdk_client import add_dispatch_hook

        add_dispatch_hook(dispatch)
