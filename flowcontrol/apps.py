"""App config for flow control."""

from django.apps import AppConfig


class FlowcontrolConfig(AppConfig):
    name = "flowcontrol"
