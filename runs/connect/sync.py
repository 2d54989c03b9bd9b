"""A worker's WORKER_CONNECT registers its apps as an HTTP sync would (runs/registration.py):
same parsing, same storage, except that the app's URL and its functions' step URLs are
`connect://<app>` ones (protocol.py), which the executor sends to a connected worker."""

import dataclasses
import json
from typing import Any

from django.conf import settings

from ..registration import Registration, RegistrationError, parse_registration, register
from .connect_pb2 import WorkerConnectRequestData
from .protocol import app_url, function_url

# Registration requires a serve URL; a Connect app has none, so parsing sees this one and the
# app is stored under its connect:// URL instead.
_PARSE_URL = "http://connect.invalid/"


def sdk_name(language: str, version: str) -> str:
    """The `sdk` an HTTP sync of the same SDK sends (`py:v0.5.19`, `js:v4.24.0`): the engine
    keys JS-only behaviour (checkpoints, defers) on it."""
    lang = "js" if language in ("typescript", "javascript", "js") else language
    return f"{lang}:v{version.removeprefix('v')}"


def parse_connect(data: WorkerConnectRequestData) -> list[Registration]:
    """One registration per app the worker serves; RegistrationError names what is wrong."""
    registrations = []
    for app in data.apps:
        try:
            functions = json.loads(app.functions or b"[]")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RegistrationError(f"app {app.app_name!r}: functions are not JSON") from None
        if not isinstance(functions, list):
            raise RegistrationError(f"app {app.app_name!r}: functions must be a list")
        for config in functions:
            _point_steps_at_connect(app.app_name, config)
        body = {
            "url": _PARSE_URL,
            "appName": app.app_name,
            "appVersion": app.app_version if app.HasField("app_version") else "",
            "sdk": sdk_name(data.sdk_language, data.sdk_version),
            "framework": data.framework or "connect",
            "functions": functions,
        }
        parsed = parse_registration(body)
        registrations.append(dataclasses.replace(parsed, url=app_url(app.app_name)))
    if not registrations:
        raise RegistrationError("the worker serves no app")
    return registrations


def register_worker_apps(data: WorkerConnectRequestData) -> list[str]:
    """Register every app of the worker; returns their names."""
    registrations = parse_connect(data)
    for registration in registrations:
        register(registration, settings.DEFAULT_RETRIES)
    return [r.app_name for r in registrations]


def _point_steps_at_connect(app_name: str, config: Any) -> None:
    if not isinstance(config, dict) or not isinstance(config.get("steps"), dict):
        return  # registration parsing says what is missing
    for step in config["steps"].values():
        runtime = step.get("runtime") if isinstance(step, dict) else None
        if isinstance(runtime, dict):
            runtime["url"] = function_url(app_name, str(config.get("id", "")))
