"""Signals events sends so other apps can react without events depending on them."""

from django.dispatch import Signal

# Sent inside the storing transaction with `events=[Event, ...]` (newly stored events only),
# so whatever a receiver writes (runs, skips) commits or rolls back together with the events.
events_stored = Signal()
