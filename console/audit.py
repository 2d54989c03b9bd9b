"""Recording operator actions. Called by the pages, the API and the commands alike."""

from typing import Any

from django.http import HttpRequest

from foundation import clock

from .models import AuditEntry


def actor_of(request: HttpRequest | None) -> str:
    if request is None:
        return "manage.py"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.get_username()
    if getattr(request, "api_key_used", False):
        return "api-key"
    return "anonymous"


def record(request: HttpRequest | None, action: str, target: str = "", **detail: Any) -> None:
    AuditEntry.objects.create(
        actor=actor_of(request), action=action, target=target, detail=detail, at=clock.now()
    )
