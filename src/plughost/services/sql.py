"""Plain SQL for the statements every request pays for.

Building an ORM query costs more than running these one-row statements (the stored
versions, a version bump, a plugin's metadata); they are spelt out once here and run
through Django's connection (its error mapping, its health check and its query log).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def fetch_rows(statement: str, params: Sequence[int | str | None] = ()) -> list[tuple[Any, ...]]:
    """Run ``statement`` and return its rows."""
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return list(cursor.fetchall())
