"""Run metadata (runs/metadata.py): `POST /v1/runs/{id}/metadata` and the `metadata` array on the
SDK's ops (JS 4.x scores, experiments, `step.ai.wrap`, `inngest.metadata`) are combined per kind,
per step or per run, bounded, behind the SDK's credential in staging, and shown on the run page
and in `GET /api/runs/{id}`."""

import hashlib
import json
from typing import Any

import pytest
from django.test import Client, override_settings

from runs import metadata
from runs.metadata import Update, combine
from runs.models import RunMetadata
from runs.protocol import MetadataOp
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, step_run

KEY = "signkey-prod-" + "0123456789abcdef" * 4


def _post(client: Client, run_id: str, body: Any, **headers: str):
    return client.post(
        f"/v1/runs/{run_id}/metadata", json.dumps(body), content_type="application/json", **headers
    )


def _run(fake_sdk: FakeSdk, first_op: dict[str, Any] | None = None):
    op = first_op or step_run("one", 1)
    fake_sdk.add_function("fake-meta", [ops(op), completed("done")])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    return run


def test_metadata_on_an_op_is_kept_under_its_step_and_shown_with_it(fake_sdk: FakeSdk):
    op = step_run("one", 1) | {
        "metadata": [
            {
                "kind": "inngest.score",
                "scope": "step",
                "op": "merge",
                "values": {"acc": {"value": 0.9}},
            },
            {"kind": "inngest.ai", "scope": "step", "op": "set", "values": {"input_tokens": 12}},
            {"kind": "userland.default", "scope": "run", "op": "set", "values": {"plan": "pro"}},
        ]
    }
    run = _run(fake_sdk, op)
    kinds = {m.kind: m.step_hashed_id for m in RunMetadata.objects.filter(run=run)}
    assert kinds == {
        "inngest.score": hashed("one"),
        "inngest.ai": hashed("one"),
        "userland.default": "",  # scope "run": the run's own
    }
    client = Client()
    panel = client.get(f"/runs/{run.id}/?step={hashed('one')}").content.decode()
    assert 'id="step-metadata"' in panel and "input_tokens" in panel
    assert "plan" not in panel
    run_panel = client.get(f"/runs/{run.id}/").content.decode()
    assert 'id="run-metadata"' in run_panel and "plan" in run_panel
    assert "input_tokens" not in run_panel
    detail = client.get(f"/api/runs/{run.id}").json()
    assert {(m["kind"], m["step_hashed_id"]) for m in detail["metadata"]} == {
        ("inngest.score", hashed("one")),
        ("inngest.ai", hashed("one")),
        ("userland.default", ""),
    }


def test_the_api_updates_the_run_or_a_step_named_by_its_id_and_index(fake_sdk: FakeSdk):
    run = _run(fake_sdk)
    client = Client()
    run_level = {
        "target": {"run_id": run.id},
        "metadata": [{"kind": "userland.default", "op": "merge", "values": {"customer": "acme"}}],
    }
    assert _post(client, run.id, run_level).status_code == 200
    by_user_id = {
        "target": {"run_id": run.id, "step_id": "one"},
        "metadata": [
            {"kind": "inngest.experiment", "op": "merge", "values": {"name": "exp", "variant": "b"}}
        ],
    }
    assert _post(client, run.id, by_user_id).status_code == 200
    repeat = {
        "target": {"run_id": run.id, "step_id": "loop", "step_index": 2},
        "metadata": [{"kind": "userland.x", "op": "set", "values": {"n": 1}}],
    }
    assert _post(client, run.id, repeat).status_code == 200

    rows = {(m.step_hashed_id, m.kind): m.values for m in RunMetadata.objects.filter(run=run)}
    assert rows == {
        ("", "userland.default"): {"customer": "acme"},
        (hashed("one"), "inngest.experiment"): {"name": "exp", "variant": "b"},
        (hashed("loop:2"), "userland.x"): {"n": 1},
    }
    page = client.get(f"/runs/{run.id}/").content.decode()
    assert 'id="run-metadata"' in page and "acme" in page


def test_updates_combine_as_inngest_combines_them():
    base = {"a": 1, "b": 2}
    assert combine(base, Update("k", MetadataOp.MERGE, {"b": 3, "c": 4})) == {
        "a": 1,
        "b": 3,
        "c": 4,
    }
    assert combine(base, Update("k", MetadataOp.SET, {"z": 0})) == {"z": 0}
    assert combine(base, Update("k", MetadataOp.DELETE, {"a": None})) == {"b": 2}
    assert combine(base, Update("k", MetadataOp.ADD, {"a": 2, "n": 5})) == {"a": 3, "b": 2, "n": 5}
    assert combine(base, Update("k", MetadataOp.ADD, {"a": "x"})) == base
    assert base == {"a": 1, "b": 2}


def test_updates_to_one_kind_accumulate_through_the_api(fake_sdk: FakeSdk):
    run = _run(fake_sdk)
    client = Client()
    for n in (1, 2, 3):
        body = {
            "target": {"run_id": run.id},
            "metadata": [{"kind": "userland.count", "op": "add", "values": {"n": n}}],
        }
        assert _post(client, run.id, body).status_code == 200
    assert RunMetadata.objects.get(run=run, kind="userland.count").values == {"n": 6}


@pytest.mark.parametrize(
    "metadata_field, why",
    [
        ("nope", "metadata must be a list"),
        ([{"kind": "bad kind!", "op": "set", "values": {}}], "metadata[0].kind"),
        ([{"kind": "k", "op": "replace", "values": {}}], "metadata[0].op must be one of"),
        ([{"kind": "k", "op": "set", "values": [1]}], "metadata[0].values must be an object"),
        ([{"kind": "k", "op": "set", "values": {"v": "x" * 70_000}}], "over 65536"),
    ],
)
def test_a_bad_update_gets_a_400_naming_the_field(fake_sdk: FakeSdk, metadata_field, why):
    run = _run(fake_sdk)
    answer = _post(Client(), run.id, {"target": {"run_id": run.id}, "metadata": metadata_field})
    assert answer.status_code == 400 and why in answer.json()["error"]
    assert not RunMetadata.objects.filter(run=run).exists()


def test_an_unknown_run_gets_404(db: None):
    body = {"target": {"run_id": "01X"}, "metadata": []}
    assert _post(Client(), "01NOSUCHRUN", body).status_code == 404


def test_a_run_holds_a_bounded_number_of_kinds(fake_sdk: FakeSdk, monkeypatch):
    monkeypatch.setattr(metadata, "MAX_KINDS_PER_RUN", 2)
    run = _run(fake_sdk)
    client = Client()
    for n, expected in ((1, 200), (2, 200), (3, 413)):
        body = {
            "target": {"run_id": run.id},
            "metadata": [{"kind": f"userland.k{n}", "op": "set", "values": {"n": n}}],
        }
        assert _post(client, run.id, body).status_code == expected
    again = {
        "target": {"run_id": run.id},
        "metadata": [{"kind": "userland.k1", "op": "set", "values": {"n": 9}}],
    }
    assert _post(client, run.id, again).status_code == 200  # a kind it holds still updates


@override_settings(REQUIRE_LOGIN=True, SIGNING_KEY=KEY, SIGNING_KEY_FALLBACK="")
def test_staging_takes_metadata_only_with_the_sdks_hashed_signing_key(fake_sdk: FakeSdk):
    run = _run(fake_sdk)
    client = Client()
    body = {
        "target": {"run_id": run.id},
        "metadata": [{"kind": "userland.default", "op": "set", "values": {"a": 1}}],
    }
    assert _post(client, run.id, body).status_code == 401
    hashed_key = hashlib.sha256(bytes.fromhex(KEY.split("-", 2)[2])).hexdigest()
    bearer = f"Bearer signkey-prod-{hashed_key}"
    assert _post(client, run.id, body, HTTP_AUTHORIZATION=bearer).status_code == 200
    # The REST API beside it still wants a login or the raw key.
    assert client.get(f"/v1/runs/{run.id}", HTTP_AUTHORIZATION=bearer).status_code == 401
