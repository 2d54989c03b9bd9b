"""App config for runs: connects the engine's receivers and hooks (runs/hooks.py)."""

from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        # Inside ready(): the hooks import the models, which cannot load before the registry.
        from . import hooks

        hooks.connect()
