"""Who is calling /mcp, by the rules of /api/ (console/access.py): the open dev console lets
anyone operate; with REQUIRE_LOGIN (staging) a caller needs the raw signing key as a Bearer
token (an operator) or a console session cookie (an operator, or a read-only user)."""

import enum
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from console.access import OPERATE
from runs.signing import bearer_is_operator_key


class Level(enum.IntEnum):
    NONE = 0
    READ = 1
    OPERATE = 2


class Caller:
    """A caller of /mcp: what it may do, and the request-like actor the audit log names."""

    def __init__(self, level: Level, user: User | AnonymousUser, key: bool) -> None:
        self.level = level
        # The operator actions take the request that asked (console/audit.py reads its user
        # and whether the API key was used); an MCP call has no Django request, so it gets one.
        self.actor = HttpRequest()
        self.actor.user = user
        self.actor.api_key_used = key  # type: ignore[attr-defined]  # our own mark, as in access


def caller_of(headers: Mapping[str, str]) -> Caller:
    """The caller's level from its headers (lower-cased names). Reads the session store, so
    call it in a thread (sync_to_async)."""
    if not settings.REQUIRE_LOGIN:
        return Caller(Level.OPERATE, AnonymousUser(), False)
    if bearer_is_operator_key(headers.get("authorization")):
        return Caller(Level.OPERATE, AnonymousUser(), True)
    user = _session_user(headers.get("cookie", ""))
    if user is None or not user.is_active:
        return Caller(Level.NONE, AnonymousUser(), False)
    level = Level.OPERATE if user.has_perm(OPERATE) else Level.READ
    return Caller(level, user, False)


def _session_user(cookie_header: str) -> User | None:
    """The user of the console session named in a Cookie header, checked as Django's own
    get_user does (the session's password hash must still match)."""
    key = _cookie(cookie_header, settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    engine = import_string(settings.SESSION_ENGINE + ".SessionStore")
    session: SessionBase = engine(key)
    try:
        user_id, backend_path = session[SESSION_KEY], session[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    # The console's users are Django's own (console_user, the admin).
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return None
    stored = session.get(HASH_SESSION_KEY, "")
    if not constant_time_compare(stored, user.get_session_auth_hash()):
        return None
    return user


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""
