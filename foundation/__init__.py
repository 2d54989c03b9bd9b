"""The bottom library: clock and ids, strict JSON, NUL checks, env readers, durations, fast SQL
and list filters. Imports no Celery, no Channels, no web framework and no app of ours."""
