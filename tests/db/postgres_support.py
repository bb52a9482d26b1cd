"""A second PostgreSQL connection to the test database, as another process would have."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connection


def another_connection() -> psycopg.Connection[Any]:
    """An autocommit connection of its own (LISTEN, or a write the test's does not see)."""
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        dbname=params["NAME"],
        user=params["USER"] or None,
        autocommit=True,
    )
