"""Store an app's registration (sync): its URL, SDK and every function's whole config."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from foundation import clock

from .crons import sync_cron_triggers
from .models import App, Function, Run
from .spec import FunctionSpec, SpecError, parse_function
from .statuses import ACTIVE_RUN_STATUSES


class RegistrationError(ValueError):
    """The app's configuration is invalid; the message says which function and field."""


@dataclass(frozen=True)
class Registration:
    url: str
    app_name: str
    sdk: str
    framework: str
    app_version: str
    functions: list[dict[str, Any]]  # as registered, stored whole
    specs: list[FunctionSpec]  # the same functions, parsed


@dataclass(frozen=True)
class RegistrationResult:
    app: App
    modified: bool


def parse_registration(body: Any) -> Registration:
    if not isinstance(body, dict):
        raise RegistrationError("registration body must be a JSON object")
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RegistrationError("url must be the app's http(s) serve URL")
    app_name = body.get("appname") or body.get("appName") or body.get("app_name")
    if not isinstance(app_name, str) or not app_name:
        raise RegistrationError("appName is required")
    functions = body.get("functions")
    if not isinstance(functions, list):
        raise RegistrationError("functions must be a list")
    functions = [_without_sync_ids(function) for function in functions]
    specs = [_parse_function(function) for function in functions]
    return Registration(
        url=_without_deploy_id(url),
        app_name=app_name,
        sdk=str(body.get("sdk") or ""),
        framework=str(body.get("framework") or ""),
        app_version=str(body.get("appVersion") or ""),
        functions=functions,
        specs=specs,
    )


# The query parameter our sync PUT carries (runs/sync.py). The JS SDK copies the URL it was
# called at into every step URL, so each sync's fresh deployId would make an unchanged app
# look changed (and every poll rewrite all its functions); it names the sync, not the app.
DEPLOY_ID_PARAM = "deployId"


def _without_deploy_id(url: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k != DEPLOY_ID_PARAM]
    if len(kept) == len(query):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _without_sync_ids(config: Any) -> Any:
    """The function's config with `deployId` taken out of its steps' runtime URLs."""
    steps = config.get("steps") if isinstance(config, dict) else None
    if not isinstance(steps, dict):
        return config
    cleaned = {}
    for key, step in steps.items():
        runtime = step.get("runtime") if isinstance(step, dict) else None
        url = runtime.get("url") if isinstance(runtime, dict) else None
        if isinstance(runtime, dict) and isinstance(url, str):
            step = {**step, "runtime": {**runtime, "url": _without_deploy_id(url)}}
        cleaned[key] = step
    return {**config, "steps": cleaned}


def _parse_function(config: Any) -> FunctionSpec:
    if not isinstance(config, dict) or not isinstance(config.get("id"), str):
        raise RegistrationError("every function needs a string id")
    where = f"function {config['id']!r}"
    try:
        spec = parse_function(config)
    except SpecError as exc:
        raise RegistrationError(f"{where}: {exc}") from None
    if not _step_url(config):
        raise RegistrationError(f"{where}: steps.step.runtime.url is required")
    return spec


def _step_url(config: dict[str, Any]) -> str | None:
    steps = config.get("steps")
    if not isinstance(steps, dict) or not steps:
        return None
    step = steps.get("step") or next(iter(steps.values()))
    runtime = step.get("runtime") if isinstance(step, dict) else None
    url = runtime.get("url") if isinstance(runtime, dict) else None
    return url if isinstance(url, str) and url else None


def register(registration: Registration, default_retries: int) -> RegistrationResult:
    """Upsert the app and its functions; archive functions the app no longer has."""
    digest = _digest(registration)
    unchanged = App.objects.filter(
        name=registration.app_name, url=registration.url, config_hash=digest, sync_error=""
    )
    if unchanged.update(synced_at=clock.now(), sync_failures=0, next_sync_at=None):
        return RegistrationResult(app=unchanged.get(), modified=False)
    try:
        return _store(registration, digest, default_retries)
    except IntegrityError:
        # Two syncs of an app new to us raced to insert its row (or a function's): the other
        # one committed first, so this pass finds the rows and updates them.
        return _store(registration, digest, default_retries)


def _store(registration: Registration, digest: str, default_retries: int) -> RegistrationResult:
    with transaction.atomic():
        app = _find_app(registration)
        app.config_hash = digest
        app.name = registration.app_name
        app.url = registration.url
        app.sdk = registration.sdk
        app.framework = registration.framework
        app.app_version = registration.app_version
        app.synced_at = clock.now()
        app.sync_error = ""
        app.sync_failures, app.next_sync_at = 0, None
        app.save()
        modified = False
        seen = []
        for config, spec in zip(registration.functions, registration.specs, strict=True):
            seen.append(config["id"])
            modified |= _upsert_function(app, config, spec, default_retries)
        gone = list(Function.objects.filter(app=app, archived=False).exclude(slug__in=seen))
        for function in gone:
            function.archived = True
            function.save(update_fields=["archived"])
            sync_cron_triggers(function)
        modified |= bool(gone)
    return RegistrationResult(app=app, modified=modified)


# A dead app is polled less and less often: POLL_INTERVAL doubled per failure, up to this.
MOST_SYNC_BACKOFF = timedelta(hours=1)


def record_sync_error(url: str, message: str) -> None:
    """The app's sync failed: keep the reason, and back off before polling it again."""
    with transaction.atomic():
        app, _ = App.objects.select_for_update().get_or_create(url=url)
        app.sync_error, app.config_hash = message, ""
        app.sync_failures += 1
        delay = timedelta(seconds=settings.POLL_INTERVAL * 2 ** min(app.sync_failures, 20))
        app.next_sync_at = clock.now() + min(delay, MOST_SYNC_BACKOFF)
        app.save(update_fields=["sync_error", "config_hash", "sync_failures", "next_sync_at"])


class AppBusy(Exception):
    """An app with runs still going cannot be removed."""


def remove_app(app: App) -> None:
    """Forget an app, its functions and their history. Refused while any of its runs is still
    going (cancel them first): a removed function cannot finish them."""
    with transaction.atomic():
        active = Run.objects.filter(function__app=app, status__in=ACTIVE_RUN_STATUSES)
        count = active.count()
        if count:
            raise AppBusy(f"{app} has {count} runs still going: cancel them first")
        app.delete()  # its functions, their crons and their runs go with it


def _digest(registration: Registration) -> str:
    raw = json.dumps(
        [
            registration.sdk,
            registration.framework,
            registration.app_version,
            registration.functions,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def _find_app(registration: Registration) -> App:
    by_name = App.objects.filter(name=registration.app_name).first()
    by_url = App.objects.filter(url=registration.url).first()
    if by_name and by_url and by_name.pk != by_url.pk:
        if not by_url.name:
            # A placeholder made for the URL before the app first synced: merge it.
            by_url.delete()
        else:
            # Another app used to live at this URL: keep its history, retire it.
            by_url.functions.update(archived=True)
            by_url.url = f"{by_url.url}#superseded-{clock.new_id()}"
            by_url.save(update_fields=["url"])
    return by_name or by_url or App(url=registration.url)


def _upsert_function(
    app: App, config: dict[str, Any], spec: FunctionSpec, default_retries: int
) -> bool:
    fields = {
        "app": app,
        "name": config.get("name") or config["id"],
        "config": config,
        "spec": spec,
        "triggers": config["triggers"],
        "step_url": _step_url(config),
        "retries": default_retries if spec.retries is None else spec.retries,
        "archived": False,
    }
    function = Function.objects.filter(slug=config["id"]).first()
    if function is None:
        function = Function.objects.create(slug=config["id"], **fields)
        sync_cron_triggers(function)
        return True
    changed = any(getattr(function, name) != value for name, value in fields.items())
    if changed:
        for name, value in fields.items():
            setattr(function, name, value)
        function.save()
        sync_cron_triggers(function)
    return changed
