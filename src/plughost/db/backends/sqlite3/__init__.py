"""Django's SQLite backend with the writers of every process queued on a file lock."""
