"""Counters and histograms folded from history rows, shared by every process that scrapes."""

from django.db import models


class Tally(models.Model):
    """One series: a counter (`value`) or a histogram (`value` is the sum of observations,
    `buckets` the count per bound of its family, the last entry above every bound)."""

    name = models.CharField(max_length=128)
    labels = models.CharField(max_length=1024)  # canonical JSON: sorted keys
    value = models.FloatField(default=0.0)
    buckets = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "labels"], name="unique_tally_series")
        ]


class Cursor(models.Model):
    """The last row of a source table already folded into the tallies."""

    source = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
