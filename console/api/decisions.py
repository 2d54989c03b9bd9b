"""Why a run is not running: the flow-control decisions, by event or function."""

from datetime import datetime

from ninja import Router, Schema

from flowcontrol.models import Decision

router = Router(tags=["flow control"])


class DecisionOut(Schema):
    function: str
    event_id: str
    run_id: str | None
    kind: str
    key: str
    detail: str
    created_at: datetime


@router.get("/decisions", response=list[DecisionOut])
def list_decisions(
    request, event: str | None = None, function: str | None = None, limit: int = 100
):
    decisions = Decision.objects.select_related("function").order_by("-id")
    if event:
        decisions = decisions.filter(event_id=event)
    if function:
        decisions = decisions.filter(function__slug=function)
    return [
        {
            "function": d.function.slug,
            "event_id": d.event_id,
            "run_id": d.run_id,
            "kind": d.kind,
            "key": d.key,
            "detail": d.detail,
            "created_at": d.created_at,
        }
        for d in decisions[: min(max(limit, 1), 1000)]
    ]
