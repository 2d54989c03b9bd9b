"""Events: validation, storage and lookup of ingested events. Knows nothing of runs."""
