"""The per-key ingest rate limit: at most settings.INGEST_RATE_LIMIT requests per second for one
event key, counted in the shared cache (Redis in staging) so every web process counts
together. A fixed one-second window: one atomic increment per request."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def seconds_to_wait(event_key: str) -> int:
    """0 when this request may go on; otherwise the Retry-After to answer with."""
    limit = settings.INGEST_RATE_LIMIT
    if not limit:
        return 0
    now = time.time()
    window = int(now)
    digest = hashlib.sha256(event_key.encode()).hexdigest()[:24]  # never the key itself
    counter = f"ingest-rate:{digest}:{window}"
    cache.add(counter, 0, timeout=3)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr: this request opens the window
        cache.add(counter, 1, timeout=3)
        count = 1
    return 0 if count <= limit else 1
