"""What an app reports about its runs beside their steps: the spans it exported itself and the
metadata it attached. Models of the `runs` app (runs/models.py imports them), kept apart from
the state of execution they only describe."""

from django.db import models


class UserSpan(models.Model):
    """A span the app exported itself (OTLP to /v1/traces/userland, runs/userspans.py), drawn
    under its step on the run's trace. `step_hashed_id` is blank when the span did not name
    its step (the page then places it by time)."""

    run = models.ForeignKey("Run", on_delete=models.CASCADE, related_name="user_spans")
    span_id = models.CharField(max_length=16)
    parent_span_id = models.CharField(max_length=16, blank=True, default="")
    step_hashed_id = models.CharField(max_length=64, blank=True, default="")
    name = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    status = models.CharField(max_length=8, blank=True, default="")  # "", "ok" or "error"
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            # An exporter that retries a batch sends the same spans again: stored once.
            models.UniqueConstraint(fields=["run", "span_id"], name="unique_user_span_per_run")
        ]


class RunMetadata(models.Model):
    """Metadata of a run (blank `step_hashed_id`) or of one of its steps, one row per `kind`
    (`userland.*`, `inngest.score`, `inngest.experiment`, `inngest.ai`...), its updates combined
    as they arrive (runs/metadata.py)."""

    run = models.ForeignKey("Run", on_delete=models.CASCADE, related_name="metadata")
    step_hashed_id = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=128)
    values = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "step_hashed_id", "kind"], name="unique_metadata_kind"
            )
        ]
