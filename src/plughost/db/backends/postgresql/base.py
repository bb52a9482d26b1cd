"""Django's PostgreSQL backend, with a health check that needs no round trip when quiet.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before a request's first query on a
reused connection: one more round trip per request, on PostgreSQL the price of a whole
read, and a write request's statements are only one or two. A server that restarts, or
that ends an idle connection for any reason, first sends the client an error message and
closes the socket, so the socket becomes readable. When an idle connection's socket has
nothing to read, and libpq still reports it open and idle, the check passes without a
query; otherwise Django's ``SELECT 1`` decides, as before. (A peer that vanished without
a word, a cut network, is not seen this way; nor would ``SELECT 1`` see it sooner: it
would wait for the same TCP timeout. A connection ended in the instant between the check
and the first query fails that query, as one ended just after Django's check would.)
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    """PostgreSQL, health-checked from the socket when the connection is quiet."""

    def close_if_health_check_failed(self) -> None:
        """Skip Django's ``SELECT 1`` when the idle connection is quiet (see the module)."""
        flags: Any = self
        if (
            self.connection is not None
            and flags.health_check_enabled
            and not flags.health_check_done
            and not getattr(self, "pool", None)
            and is_quiet(self.connection)
        ):
            flags.health_check_done = True
            return
        super().close_if_health_check_failed()


def is_quiet(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection is open and the server has sent nothing since its last use."""
    try:
        if connection.closed or connection.pgconn.status != pq.ConnStatus.OK:
            return False
        if connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return False
    return not readable
