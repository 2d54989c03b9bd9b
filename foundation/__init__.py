"""The bottom library: clock and ids, strict JSON, NUL checks, env readers, durations, cron
schedules, fast SQL, records and list filters. Imports no Celery, no Channels, no web framework
and no app of ours (.importlinter holds it to that)."""
