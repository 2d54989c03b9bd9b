"""Flow-control state shared by all workers (rows, read and written under locks) and the
record of every decision that delayed or skipped a run."""

from django.db import models

from events.models import Event

# The engine's models, named as strings: flow control imports nothing of the engine.
FUNCTION, RUN = "runs.Function", "runs.Run"


class DecisionKind(models.TextChoices):
    RATE_LIMITED = "rate_limited"
    IDEMPOTENCY_HIT = "idempotency_hit"
    DEBOUNCED = "debounced"
    BATCHED = "batched"
    THROTTLED = "throttled"
    SINGLETON_SKIPPED = "singleton_skipped"
    SINGLETON_CANCELLED = "singleton_cancelled"
    CANCELLED = "cancelled"
    PAUSED = "paused"  # the function was paused (runs/pausing.py): the event started nothing


class Decision(models.Model):
    """Why an event did not (yet) start a run of a function: shown by the API and pages."""

    function = models.ForeignKey(FUNCTION, on_delete=models.CASCADE, related_name="decisions")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="decisions")
    run = models.ForeignKey(
        RUN, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    kind = models.CharField(max_length=32, choices=DecisionKind.choices)
    key = models.CharField(max_length=512, blank=True, default="")
    detail = models.CharField(max_length=1024, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]


class Limiter(models.Model):
    """GCRA state of one (function or account scope, kind, key)."""

    scope = models.CharField(max_length=255)  # function slug
    kind = models.CharField(max_length=16)  # "rateLimit" or "throttle"
    key = models.CharField(max_length=512, blank=True, default="")
    tat = models.DateTimeField()
    # rateLimit: the starts within the last period (ISO times), at most `limit` of them.
    window = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "kind", "key"], name="unique_limiter")
        ]


class IdempotencyKey(models.Model):
    function = models.ForeignKey(FUNCTION, on_delete=models.CASCADE)
    key = models.CharField(max_length=512)
    run = models.ForeignKey(RUN, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["function", "key"], name="unique_idempotency_key")
        ]


class Pending(models.Model):
    """Events held back for a debounce (the last one wins) or a batch (all of them)."""

    function = models.ForeignKey(FUNCTION, on_delete=models.CASCADE)
    kind = models.CharField(max_length=16)  # "debounce" or "batch"
    key = models.CharField(max_length=512, blank=True, default="")
    event_ids = models.JSONField(default=list)
    first_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["function", "kind", "key"], name="unique_pending")
        ]


class ConcurrencyKey(models.Model):
    """One row per concurrency key, locked while a claimer counts that key's slots."""

    key = models.CharField(max_length=600, unique=True)
