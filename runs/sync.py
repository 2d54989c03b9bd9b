"""SDK sync: ask apps to register (PUT to their serve URL), poll them, discover local ones.
The app answers with `POST /fn/register` (sdk_views.py). The PUT is signed as every request to
an app (X-Inngest-Signature over its canonical JSON body: npm inngest 4.24.0
`InngestCommHandler.handleAction`, PyPI inngest 0.5.19 `comm_lib/handler.py` `put`)."""

import ipaddress
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from foundation import clock

from . import signing, wakeups
from .connect.protocol import is_connect_url
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


class AppHostRefused(ValueError):
    """An app URL outside DEVSERVER_APP_HOSTS."""


def check_app_url(url: str) -> None:
    """Refuse an app URL whose host is not allowed. Names and `*.suffix` patterns match the
    URL's host; networks (`10.0.0.0/8`) match every address the host resolves to, so an
    allowed name cannot lead to a forbidden address."""
    allowed = settings.APP_HOSTS
    if not allowed:
        return
    host = (urlsplit(url).hostname or "").lower()
    if any(_name_matches(host, entry) for entry in allowed):
        return
    networks = [ipaddress.ip_network(e, strict=False) for e in allowed if _is_network(e)]
    addresses = _addresses(host)
    if networks and addresses and all(any(a in n for n in networks) for a in addresses):
        return
    raise AppHostRefused(
        f"{host or url!r} is not among the allowed app hosts (DEVSERVER_APP_HOSTS)"
    )


def sync_app(url: str) -> str:
    """PUT to the app so it registers; store and return the error text ("" on success). The
    text never echoes what a non-SDK answered, nor tells a refused port from a closed one:
    an operator's URL must not become a probe of the console's network."""
    if is_connect_url(url):
        # A Connect app has nothing to PUT to: it syncs when a worker dials in. A re-sync asked
        # of it (API, CLI) is not a failure, so no error is recorded over its last good sync.
        return ""
    try:
        check_app_url(url)
    except AppHostRefused as exc:
        record_sync_error(url, str(exc))
        return str(exc)
    deploy_id = _new_sync_request(url)
    # Signed like every request to an app: JS 4.x with INNGEST_ENABLE_UNAUTHED_SYNC=false (and
    # Python 0.5.19 with it) refuses an unsigned PUT. Both SDKs verify over the canonical JSON
    # of the body they read; a JSON body (not an empty one) reads the same in every framework.
    body = signing.canonical_json({"url": url})
    try:
        response = http_client().put(
            url,
            params={"deployId": deploy_id},
            content=body,
            headers={
                "X-Inngest-Server-Kind": server_kind(),
                "Content-Type": "application/json",
                **signing.request_headers(body),
            },
            timeout=30.0,
        )
    except httpx.TimeoutException:
        error = f"{url} did not answer the sync in time"
    except httpx.HTTPError:
        error = f"could not reach an app at {url}"
    else:
        error = "" if response.status_code < 300 else _refusal(response)
    if error:
        record_sync_error(url, error)
    return error


def _refusal(response: httpx.Response) -> str:
    """Why the app refused: an SDK's own error message (it says what to fix), or only the
    status of something that is not an SDK."""
    if not response.headers.get("x-inngest-sdk"):
        return (
            f"the URL answered HTTP {response.status_code} and is not an Inngest SDK serve "
            "endpoint (no X-Inngest-Sdk header)"
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") or body.get("error") if isinstance(body, dict) else None
    detail = f": {str(message)[:200]}" if message else ""
    return f"the app refused the sync with HTTP {response.status_code}{detail}"


def _name_matches(host: str, entry: str) -> bool:
    entry = entry.lower()
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    return host == entry


def _is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


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
    """Re-sync every known app URL (and those given with -u), except apps backing off after
    failed syncs; discover new local apps."""
    urls = set(settings.SDK_URLS)
    # Only served apps are polled: a Connect app (connect://) syncs when its worker dials in.
    urls |= {
        url
        for url in App.objects.values_list("url", flat=True)
        if "#" not in url and url.startswith(("http://", "https://"))
    }
    waiting = set(App.objects.filter(next_sync_at__gt=clock.now()).values_list("url", flat=True))
    for url in sorted(urls - waiting):
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
