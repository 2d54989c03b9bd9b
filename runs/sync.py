"""SDK sync: ask apps to register (PUT to their serve URL), poll them, discover local ones.
The app answers with `POST /fn/register` (sdk_views.py)."""

from datetime import timedelta

import httpx
from django.conf import settings

from foundation import clock

from . import signing, wakeups
from .models import App, SyncRequest
from .registration import record_sync_error
from .sdk_client import http_client
from .wakeups import Task

DISCOVERY_PORTS = [3000, 3030, 3300, 4000, 5000, 5173, 8000, 8080, 8888]
DISCOVERY_PATHS = ["/api/inngest", "/x/inngest", "/.netlify/functions/inngest"]


def server_kind() -> str:
    """`cloud` once a signing key is set: the SDKs then run in their production mode."""
    return "cloud" if signing.enabled() else "dev"


def request_sync(url: str) -> None:
    """Ask a worker to sync the app at `url` (after the current transaction commits)."""
    wakeups.send_on_commit(Task.SYNC_APP, url)


# How long the app has to register after our PUT, and how long used requests are kept.
SYNC_REQUEST_VALID_FOR = timedelta(minutes=5)
SYNC_REQUESTS_KEPT_FOR = timedelta(hours=1)


def sync_app(url: str) -> str:
    """PUT to the app so it registers; store and return the error text ("" on success)."""
    deploy_id = _new_sync_request(url)
    try:
        response = http_client().put(
            url,
            params={"deployId": deploy_id},
            headers={"X-Inngest-Server-Kind": server_kind(), "Content-Type": "application/json"},
            timeout=30.0,
        )
    except httpx.HTTPError as exc:
        error = f"could not reach {url}: {exc or type(exc).__name__}"
        record_sync_error(url, error)
        return error
    if response.status_code >= 300:
        error = f"sync failed with HTTP {response.status_code}: {response.text[:500]}"
        record_sync_error(url, error)
        return error
    return ""


def _new_sync_request(url: str) -> str:
    now = clock.now()
    SyncRequest.objects.filter(requested_at__lt=now - SYNC_REQUESTS_KEPT_FOR).delete()
    return SyncRequest.objects.create(deploy_id=clock.new_id(), url=url, requested_at=now).pk


def claim_sync_request(deploy_id: str) -> bool:
    """The registration answers a sync we asked for within SYNC_REQUEST_VALID_FOR, and is the
    first to do so. False: unknown, too old, or used already (a replay)."""
    now = clock.now()
    claimed = SyncRequest.objects.filter(
        pk=deploy_id, used_at__isnull=True, requested_at__gte=now - SYNC_REQUEST_VALID_FOR
    ).update(used_at=now)
    return claimed == 1


def poll_apps() -> None:
    """Re-sync every known app URL (and those given with -u); discover new local apps."""
    urls = set(settings.SDK_URLS)
    urls |= {url for url in App.objects.values_list("url", flat=True) if "#" not in url}
    for url in sorted(urls):
        sync_app(url)
    if settings.DISCOVERY:
        for url in discover(exclude=urls):
            sync_app(url)


def discover(exclude: set[str]) -> list[str]:
    """Local serve endpoints that answer like an Inngest SDK (GET introspection)."""
    found = []
    for port in DISCOVERY_PORTS:
        for path in DISCOVERY_PATHS:
            url = f"http://127.0.0.1:{port}{path}"
            if url in exclude:
                continue
            try:
                response = httpx.get(url, timeout=0.5)
            except httpx.HTTPError:
                break  # nothing listens on this port
            if response.status_code == 200 and _looks_like_sdk(response):
                found.append(url)
    return found


def _looks_like_sdk(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "function_count" in body
