"""Moved to foundation.durations; this name stays until the last importers move (the same
module object)."""

import sys

from foundation import durations

sys.modules[__name__] = durations
