"""Template tags of the time-travel buttons: `throttled_until` tells the run page whether a
throttle holds the run back, and until when (one indexed read, asked only where the button
could show: time travel on, an operator, a queued run)."""

from datetime import datetime

from django import template

from foundation import clock
from runs.models import QueueItem
from runs.statuses import QueueReason

register = template.Library()


@register.simple_tag
def throttled_until(run_id: str) -> datetime | None:
    """When the throttle will start this run; None when no throttle holds it."""
    held = QueueItem.objects.filter(
        run_id=run_id, reason=QueueReason.THROTTLED, due_at__gt=clock.now()
    )
    return held.values_list("due_at", flat=True).first()
