"""What the lean ASGI routes (ingest_route.py, read_route.py) share: telling a request they may
answer themselves from one only Django answers, and the headers Django's middleware would add.

A lean route answers only when its answer is the one Django would give; these checks are the
cases where Django's middleware answers first (a NUL in the URL, a Host it refuses, an HTTPS
redirect) or adds something a route cannot know."""

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from .request_limits import Scope

# Host headers already judged (Django's ALLOWED_HOSTS check): a few per deployment.
_HOST_CACHE_SIZE = 64


class PlainRequests:
    """Judges whether Django's middleware would let a request through to its view untouched."""

    def __init__(self) -> None:
        self._hosts: dict[bytes, bool] = {}

    def plain(self, scope: Scope) -> bool:
        """No NUL in the URL (RejectNulMiddleware's 400), plain HTTP (no SSL redirect or HSTS)
        and a Host Django accepts (else its 400)."""
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"\x00" in query or b"%00" in query:
            return False
        if settings.SECURE_SSL_REDIRECT or scope.get("scheme") != "http":
            return False  # SecurityMiddleware's redirect and HSTS header: Django's to give
        if scope.get("root_path") or settings.FORCE_SCRIPT_NAME:
            return False  # mounted under a prefix: Django strips it before resolving the path
        host = header(scope, b"host")
        if host is None:
            return False
        allowed = self._hosts.get(host)
        if allowed is None:
            allowed = host_allowed(host)
            if len(self._hosts) < _HOST_CACHE_SIZE:
                self._hosts[host] = allowed
        return allowed


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header `name` (lower case), or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


def host_allowed(raw: bytes) -> bool:
    """Django's `HttpRequest.get_host` check of the Host header against ALLOWED_HOSTS
    (the lean routes are only ever served with USE_X_FORWARDED_HOST off)."""
    if settings.USE_X_FORWARDED_HOST:
        return False  # Django reads another header then: let it judge
    domain, _port = split_domain_port(raw.decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def django_headers(content_type: bytes) -> list[tuple[bytes, bytes]]:
    """The headers Django's middleware puts on a view's JSON answer (SecurityMiddleware,
    ContentSecurityPolicyMiddleware, XFrameOptionsMiddleware), fixed by the settings; the
    contract tests hold each lean route and Django to the same set."""
    headers = [(b"content-type", content_type)]
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.encode()))
    headers.append((b"content-security-policy", settings.CONTENT_SECURITY_POLICY.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append((b"referrer-policy", str(settings.SECURE_REFERRER_POLICY).encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        policy = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()
        headers.append((b"cross-origin-opener-policy", policy))
    return headers
