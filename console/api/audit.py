"""The audit log over the API (read-only)."""

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from console.models import AuditEntry

router = Router(tags=["console"])


class AuditOut(Schema):
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    at: datetime


@router.get("/audit", response=list[AuditOut])
def audit_log(request, actor: str = "", action: str = "", limit: int = 100):
    """Operator actions, newest first."""
    entries = AuditEntry.objects.all()
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    return entries[: min(max(limit, 1), 1000)]
