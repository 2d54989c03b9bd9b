"""Moved to foundation.clock; this name stays until the last importers move (the same module
object, so a test that patches one patches both)."""

import sys

from foundation import clock

sys.modules[__name__] = clock
