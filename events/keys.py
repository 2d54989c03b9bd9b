"""Event keys: which `POST /e/{key}` requests may store events."""

import hmac

from django.conf import settings


def is_known_event_key(event_key: str) -> bool:
    """Any key in dev mode (no INNGEST_EVENT_KEY set); otherwise one of its keys, compared in
    constant time."""
    if not settings.EVENT_KEYS:
        return True
    return any(hmac.compare_digest(event_key, known) for known in settings.EVENT_KEYS)
