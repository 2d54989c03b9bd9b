"""Django's SQLite backend with the process's writers taking turns on a lock (embedded mode)."""
