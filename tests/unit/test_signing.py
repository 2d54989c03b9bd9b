"""Request signing as the official SDKs check it: HMAC-SHA256 over the body and a timestamp,
keyed without the `signkey-<env>-` prefix; bearer tokens as SDKs and API clients send them."""

import hashlib
import hmac

import pytest

from runs import signing

KEY = "signkey-test-" + "ab" * 32
FALLBACK = "signkey-prod-" + "cd" * 32
BODY = b'{"event":{"name":"a"}}'
NOW = 1_900_000_000


@pytest.fixture
def keys(settings):
    settings.SIGNING_KEY, settings.SIGNING_KEY_FALLBACK = KEY, FALLBACK
    return settings


def test_a_signature_is_hmac_sha256_of_body_then_timestamp_keyed_without_the_prefix(keys):
    expected = hmac.new(("ab" * 32).encode(), BODY + str(NOW).encode(), hashlib.sha256)
    assert signing.sign(BODY, KEY, at=NOW) == f"t={NOW}&s={expected.hexdigest()}"


def test_a_body_signed_with_our_key_verifies(keys):
    assert signing.verify(BODY, signing.sign(BODY, KEY, at=NOW), now=NOW + 10) == ""


def test_a_body_signed_with_the_fallback_key_verifies(keys):
    assert signing.verify(BODY, signing.sign(BODY, FALLBACK, at=NOW), now=NOW) == ""


def test_a_trailing_newline_added_after_signing_is_tolerated(keys):
    assert signing.verify(BODY + b"\n", signing.sign(BODY, KEY, at=NOW), now=NOW) == ""


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (None, BODY, NOW, "has no X-Inngest-Signature header"),
        ("", BODY, NOW, "has no X-Inngest-Signature header"),
        ("s=abc", BODY, NOW, "is malformed"),
        ("t=soon&s=abc", BODY, NOW, "is malformed"),
        ("SIGNED", BODY, NOW, "is malformed"),
        ("SIGN", BODY, NOW + 301, "too old"),
        ("SIGN", BODY, NOW - 301, "too old (or from the future)"),
        ("SIGN", BODY + b"x", NOW, "does not match the signing key"),
        ("OTHER", BODY, NOW, "does not match the signing key"),
    ],
)
def test_a_signature_that_does_not_verify_says_why(keys, header, body, now, reason):
    if header == "SIGN":
        header = signing.sign(BODY, KEY, at=NOW)
    elif header == "OTHER":
        header = signing.sign(BODY, "signkey-test-" + "ef" * 32, at=NOW)
    assert reason in signing.verify(body, header, now=now)


def test_without_a_signing_key_requests_carry_no_signature_and_json_is_compact(settings):
    settings.SIGNING_KEY = ""
    assert not signing.enabled()
    assert signing.request_headers(BODY) == {}
    assert signing.canonical_json({"b": 1, "a": [1, 2]}) == b'{"b":1,"a":[1,2]}'


def test_with_a_signing_key_requests_are_signed_over_canonical_json(keys):
    body = signing.canonical_json({"b": 1, "a": 1.0, "c": "é"})
    assert body == '{"a":1,"b":1,"c":"é"}'.encode()  # RFC 8785: sorted keys, 1.0 as 1
    header = signing.request_headers(body)["X-Inngest-Signature"]
    assert signing.verify(body, header) == ""


def test_the_hashed_key_is_sha256_of_the_hex_bytes_of_the_key():
    assert signing.hashed_key(KEY) == hashlib.sha256(bytes.fromhex("ab" * 32)).hexdigest()
    assert signing.hashed_key("ab" * 32) == signing.hashed_key(KEY)


def test_a_key_that_is_not_hex_is_hashed_as_text():
    assert signing.hashed_key("signkey-dev-not-hex") == hashlib.sha256(b"not-hex").hexdigest()


@pytest.mark.parametrize(
    "token",
    [
        KEY,
        "ab" * 32,
        signing.hashed_key(KEY),
        "signkey-test-" + signing.hashed_key(KEY),
        signing.hashed_key(FALLBACK),
    ],
    ids=["raw", "bare", "hashed", "prefixed-hash", "fallback-hashed"],
)
def test_bearer_tokens_the_sdks_and_api_clients_send_are_accepted(keys, token):
    assert signing.bearer_is_signing_key(f"Bearer {token}")


@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Basic {KEY}", "Bearer ", "Bearer " + "00" * 32, f"bearer {KEY}"],
)
def test_other_authorizations_are_refused(keys, authorization):
    assert not signing.bearer_is_signing_key(authorization)


@pytest.mark.parametrize("token", [KEY, "ab" * 32], ids=["raw", "bare"])
def test_the_raw_key_is_an_operator_credential(keys, token):
    assert signing.bearer_is_operator_key(f"Bearer {token}")


@pytest.mark.parametrize(
    "token",
    [signing.hashed_key(KEY), "signkey-test-" + signing.hashed_key(KEY), "00" * 32, ""],
    ids=["hashed", "prefixed-hash", "wrong", "empty"],
)
def test_the_hash_every_sdk_sends_is_not_an_operator_credential(keys, token):
    assert not signing.bearer_is_operator_key(f"Bearer {token}")


def test_no_bearer_is_accepted_when_no_key_is_set(settings):
    settings.SIGNING_KEY, settings.SIGNING_KEY_FALLBACK = "", ""
    assert not signing.bearer_is_signing_key("Bearer ")
    assert not signing.bearer_is_signing_key("Bearer x")
