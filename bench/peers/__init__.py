"""Peer baselines: the ten_steps workflow (10 sequential steps, each returning a small value) on
DBOS and as a Celery chain, on the same machine, Postgres and Redis as our server."""
