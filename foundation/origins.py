"""Same-origin checks for browsers' requests: a state change or a live stream may come only from
a page the console served itself, whatever ALLOWED_HOSTS says (`*` included)."""

from urllib.parse import urlsplit


def is_cross_origin(origin: str | None, host: str) -> bool:
    """True when a browser says the request comes from a page of another origin. No Origin
    header (scripts, the SDKs, curl) is not cross-origin: such clients carry no cookies of a
    victim's browser."""
    if not origin:
        return False
    if origin == "null":  # sandboxed frames, file:// pages
        return True
    parts = urlsplit(origin)
    return parts.netloc.lower() != host.lower()
