"""Event keys, bearer tokens and signing keys never reach the logs: the console handler masks
them in every line (Django logs the path of every refused request, `/e/{key}` included)."""

import io
import logging

import pytest
from django.test import Client, override_settings

from devserver.log_masking import MaskSecrets


@pytest.fixture
def log_lines() -> io.StringIO:
    """What the configured console handler writes, captured."""
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskSecrets) for f in h.filters)
    ]
    assert isinstance(handler, logging.StreamHandler)
    captured = io.StringIO()
    previous = handler.setStream(captured)
    yield captured
    handler.setStream(previous)


@pytest.mark.django_db
@override_settings(EVENT_KEYS=["the-real-key"])
def test_a_refused_event_key_is_masked_in_the_log(log_lines: io.StringIO):
    answer = Client().post("/e/a-guessed-key-123", b"{}", content_type="application/json")
    assert answer.status_code == 401
    written = log_lines.getvalue()
    assert "/e/[redacted]" in written and "a-guessed-key-123" not in written


def test_tokens_and_signing_keys_are_masked_in_any_line(log_lines: io.StringIO):
    logging.getLogger("runs.test").warning(
        "retrying with %s and %s", "Authorization: Bearer abc.def.ghi", "signkey-prod-12ab34cd"
    )
    written = log_lines.getvalue()
    assert "Bearer [redacted]" in written and "abc.def.ghi" not in written
    assert "signkey-prod-12ab34cd" not in written
