"""Moved to foundation.fast_sql; this name stays until the last importers move (the same module
object)."""

import sys

from foundation import fast_sql

sys.modules[__name__] = fast_sql
