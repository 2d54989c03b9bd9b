"""Prometheus metrics at /metrics, computed from the engine's own rows (see fold.py)."""
