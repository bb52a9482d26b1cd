"""Django's SQLite backend, with writers of every process queued on a file lock.

SQLite lets one writer in at a time. One that finds the write lock taken sleeps in
SQLite's busy handler: 1, 2, 5, 10 ms and longer, whether the holder needed 0.2 ms or
20. Several gunicorn workers writing at once therefore wait in those steps. Here a
transaction (``atomic``, which begins ``IMMEDIATE``) first takes an exclusive ``flock``
on ``<database>.writers``, beside the database: writers queue there, each finds SQLite's
lock free at ``BEGIN``, and the next one goes as soon as the lock file is released, with
no step to wait out. A statement outside a transaction takes SQLite's lock alone, as
before. The lock file is released at commit or rollback, and by the kernel when its
process ends, so a crashed writer holds nobody up.

The wait is bounded like SQLite's (the ``timeout`` option, 5 s by default): after it the
``BEGIN`` runs anyway and SQLite's own handler decides (it waits as long again).
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db.backends.sqlite3 import base

FIRST_PAUSE_SECONDS = 0.00005
LONGEST_PAUSE_SECONDS = 0.001
DEFAULT_TIMEOUT_SECONDS = 5.0


def _django(wrapper: base.DatabaseWrapper) -> Any:
    """Django's own methods: its stubs leave out the private ones overridden here."""
    return super(DatabaseWrapper, wrapper)


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite, with this process's and the others' writers queued on a file lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writers_fd: int | None = None
        self._holds_writers_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writers_lock()
        try:
            _django(self)._start_transaction_under_autocommit()
        except BaseException:
            self._release_writers_lock()
            raise

    def _commit(self) -> None:
        try:
            _django(self)._commit()
        finally:
            self._release_writers_lock()

    def _rollback(self) -> None:
        try:
            _django(self)._rollback()
        finally:
            self._release_writers_lock()

    def _close(self) -> None:
        try:
            _django(self)._close()
        finally:
            self._release_writers_lock()
            if self._writers_fd is not None:
                os.close(self._writers_fd)
                self._writers_fd = None

    def _take_writers_lock(self) -> None:
        if self.is_in_memory_db() or self._holds_writers_lock:
            return
        if self._writers_fd is None:
            path = f"{self.settings_dict['NAME']}.writers"
            self._writers_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", DEFAULT_TIMEOUT_SECONDS))
        deadline = time.monotonic() + timeout
        pause = FIRST_PAUSE_SECONDS
        while True:
            try:
                fcntl.flock(self._writers_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's own busy handler decides from here
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
                continue
            self._holds_writers_lock = True
            return

    def _release_writers_lock(self) -> None:
        if self._holds_writers_lock and self._writers_fd is not None:
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)
        self._holds_writers_lock = False
