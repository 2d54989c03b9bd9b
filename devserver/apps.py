"""App config for the project wiring."""

from django.apps import AppConfig


class DevserverConfig(AppConfig):
    name = "devserver"
