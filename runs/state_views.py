"""A run's memoized state for SDKs told `use_api` (runs/protocol.py): `GET /v0/runs/{id}/batch`
(the run's events, a JSON list) and `GET /v0/runs/{id}/actions` (`{hashed step id: memo}` in
completion order, like a request's `steps`). Shapes from the SDKs' readers: PyPI inngest 0.5.19
client_lib/client.py `_get_batch`/`_get_steps`; npm inngest 4.24.0/3.54.2 api/api.js
`getRunBatch`/`getRunSteps` (api/schema.js; an error is `{error, status}`). Credentials: the
hashed signing key in staging (console/access.py).

`actions` can be hundreds of MB: it is streamed a few memos at a time, each read as the JSON
text the database holds (never parsed here), in batches of about BATCH_BYTES."""

import json
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from .memo import RunMemo
from .models import Run, Step
from .protocol import steps_with_inputs
from .statuses import FINISHED_STEP_STATUSES

BATCH_BYTES = 1024 * 1024


@require_GET
def run_batch_view(request: HttpRequest, run_id: str) -> JsonResponse:
    run = Run.objects.select_related("event").filter(pk=run_id).first()
    if run is None:
        return _not_found(run_id)
    return JsonResponse(RunMemo.events_of(run), safe=False)


@require_GET
def run_actions_view(request: HttpRequest, run_id: str) -> JsonResponse | StreamingHttpResponse:
    run = Run.objects.filter(pk=run_id).only("id", "step_inputs").first()
    if run is None:
        return _not_found(run_id)
    finished = Step.objects.filter(run=run, status__in=FINISHED_STEP_STATUSES)
    rows = finished.order_by(F("position").asc(nulls_last=True), "id").values_list(
        "id", "hashed_id", "memo_size"
    )
    batches = _batches([(pk, size) for pk, _, size in rows])
    pending = steps_with_inputs({h: None for _, h, _ in rows}, run.step_inputs)
    head = [f"{json.dumps(h)}:{json.dumps(v)}" for h, v in pending.items() if v is not None]
    # Under ASGI (the server) an async iterator, or Django would read it all into a list
    # first; under WSGI (the test client) a plain one.
    if isinstance(request, ASGIRequest):
        content: AsyncIterator[bytes] | Iterator[bytes] = _stream_async(head, batches)
    else:
        content = _stream(head, batches)
    return StreamingHttpResponse(content, content_type="application/json")


def _batches(rows: list[tuple[int, int | None]]) -> list[list[int]]:
    """Step ids in order, grouped so that each group's memos add up to about BATCH_BYTES."""
    batches: list[list[int]] = []
    size = BATCH_BYTES
    for pk, memo_size in rows:
        if size + (memo_size or 0) > BATCH_BYTES and (not batches or batches[-1]):
            batches.append([])
            size = 0
        batches[-1].append(pk)
        size += memo_size or 0
    return batches


def _read_batch(ids: list[int]) -> list[str]:
    """`"hash":memo` pairs of these steps, in this order, the memo as the stored JSON text."""
    rows = (
        Step.objects.filter(pk__in=ids)
        .annotate(text=Cast("memo", TextField()))
        .values_list("id", "hashed_id", "text")
    )
    found = {pk: (hashed_id, text) for pk, hashed_id, text in rows}
    return [f"{json.dumps(found[pk][0])}:{found[pk][1] or 'null'}" for pk in ids if pk in found]


def _stream(head: list[str], batches: list[list[int]]) -> Iterator[bytes]:
    parts = list(head)
    yield b"{"
    first = True
    for ids in [[], *batches]:
        parts += _read_batch(ids) if ids else []
        if parts:
            yield (("" if first else ",") + ",".join(parts)).encode()
            first, parts = False, []
    yield b"}"


async def _stream_async(head: list[str], batches: list[list[int]]) -> AsyncIterator[bytes]:
    parts = list(head)
    yield b"{"
    first = True
    for ids in [[], *batches]:
        # Each batch in Django's database thread, its stale connections closed as a request's are
        # (the engine uses asgiref, not Channels: websockets stay at the edge).
        parts += await sync_to_async(_read_batch_closing)(ids) if ids else []
        if parts:
            yield (("" if first else ",") + ",".join(parts)).encode()
            first, parts = False, []
    yield b"}"


def _read_batch_closing(ids: list[int]) -> list[str]:
    close_old_connections()
    try:
        return _read_batch(ids)
    finally:
        close_old_connections()


def _not_found(run_id: str) -> JsonResponse:
    return JsonResponse({"error": f"run {run_id} not found", "status": 404}, status=404)
