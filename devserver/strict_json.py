"""Moved to foundation.strict_json; this name stays until the last importers move (the same module
object)."""

import sys

from foundation import strict_json

sys.modules[__name__] = strict_json
