"""The event store."""

from django.db import models


class Event(models.Model):
    """One ingested event, exactly as the sender sent it (plus the fields we fill in)."""

    id = models.CharField(primary_key=True, max_length=26)  # our ULID, the "internal id"
    name = models.CharField(max_length=255, db_index=True)
    # The sender's `id`: deduplicates for 24 h. Blank when the sender gave none.
    external_id = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField(default=dict)
    user = models.JSONField(default=dict, blank=True)
    ts = models.BigIntegerField(help_text="Event time in ms since the epoch")
    version = models.CharField(max_length=64, blank=True, default="")
    received_at = models.DateTimeField(db_index=True)
    size_bytes = models.IntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["external_id", "received_at"])]

    def __str__(self) -> str:
        return f"{self.name} {self.id}"

    def payload(self) -> dict:
        """The event as SDKs see it in `event` / `events`."""
        body: dict = {
            "id": self.external_id or self.id,
            "name": self.name,
            "data": self.data,
            "ts": self.ts,
        }
        if self.user:
            body["user"] = self.user
        if self.version:
            body["v"] = self.version
        return body
