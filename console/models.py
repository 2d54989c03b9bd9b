"""The audit log of operator actions, and the permission that makes a user an operator."""

from django.db import models


class AuditEntry(models.Model):
    """Who did what to which run, event, function or app, and when."""

    actor = models.CharField(max_length=150)  # a username, "api-key", "manage.py" or "dev"
    action = models.CharField(max_length=64, db_index=True)  # e.g. "run.cancel", "bulk.confirm"
    target = models.CharField(max_length=255, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [
            ("operate", "Can cancel, replay, retry, run bulk actions, invoke and send events"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"
