"""Plain SQL reads (and version bumps) that double as a request's connection health check.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before a request's first query on a
reused connection: one more round trip, on PostgreSQL the price of a whole read. When a
request's first statement is a plain read (the stored versions every write checks, a
plugin's metadata) or a version bump outside a transaction (a reload), that statement is
the check instead: should it fail because the connection broke since the last request (the
database restarted, say), the connection is closed, as a failed check would close it, and
the statement runs once more on a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import InterfaceError, OperationalError, connection

_flags: Any = connection
"""The same connection, for the health-check flags Django's type stubs do not declare."""


def read_rows(statement: str, params: Sequence[int | str | None] = ()) -> list[tuple[Any, ...]]:
    """Run ``statement`` and return its rows; it may run twice, so it must be harmless twice.

    A read is; so is a version bump (a second one only makes processes rebuild once more).
    """
    if _check_pending():
        _flags.health_check_done = True  # this read is the check
        try:
            return _run(statement, params)
        except (OperationalError, InterfaceError):
            connection.close()  # what a failed health check does; the read below reconnects
    return _run(statement, params)


def _check_pending() -> bool:
    return (
        connection.connection is not None
        and bool(_flags.health_check_enabled)
        and not _flags.health_check_done
        and not connection.in_atomic_block
    )


def _run(statement: str, params: Sequence[int | str | None]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return list(cursor.fetchall())
