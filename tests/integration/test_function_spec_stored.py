"""A function's config is parsed once, when its app syncs, and stored typed with the function
(Function.spec): events are matched and admitted without parsing it again. Configs stored
before the spec existed are parsed by the migration that added it."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from flowcontrol.spec import Throttle
from runs import spec as spec_module
from runs.models import App, Function
from runs.spec import FunctionSpec
from tests.integration.flow_setup import function_config, send, sync_function

pytestmark = pytest.mark.django_db

add_spec = importlib.import_module("runs.migrations.0010_function_spec")


def test_the_spec_is_stored_at_sync_and_read_back_typed():
    sync_function("spaced", "test/spaced", throttle={"limit": 2, "period": "1m"})
    stored = Function.objects.get(slug="flow-app-spaced")
    assert stored.spec.flow.throttle == Throttle(2, timedelta(minutes=1))
    assert stored.spec.triggers[0].event == "test/spaced"


def test_an_event_is_admitted_without_parsing_the_config_again(monkeypatch):
    sync_function("spaced", "test/spaced", throttle={"limit": 1, "period": "1m"})

    def refuse(config: object) -> FunctionSpec:
        raise AssertionError("the config was parsed again")

    monkeypatch.setattr(spec_module, "parse_function", refuse)
    first, second = send("test/spaced"), send("test/spaced")
    assert first.runs.get().queued_at is not None
    assert second.decisions.get().kind == "throttled"


def test_the_migration_parses_stored_configs_and_archives_those_it_refuses():
    app = App.objects.create(name="old", url="http://127.0.0.1:9/api/inngest", config_hash="x")
    good = function_config("good", "test/good", debounce={"period": "5s"})
    bad = function_config("bad", "test/bad", rateLimit={"limit": 1})  # no period
    for config in (good, bad):
        Function.objects.create(
            app=app, slug=config["id"], name="f", config=config, step_url=app.url
        )
    add_spec.parse_stored_configs(apps, None)
    parsed = Function.objects.get(slug=good["id"])
    assert parsed.spec.flow.debounce.period == timedelta(seconds=5) and not parsed.archived
    refused = Function.objects.get(slug=bad["id"])
    assert refused.archived and refused.spec == FunctionSpec()
    app.refresh_from_db()
    assert "rateLimit.period is required" in app.sync_error and app.config_hash == ""
