"""Plain SQL for the statements every request pays for.

Building an ORM query costs more than running these one-row statements (the stored
versions, a version bump, a plugin's metadata, an audit entry); they are spelt out once
here and run through Django's connection (its error mapping, its health check and its
query log).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def fetch_rows(statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``statement`` and return its rows."""
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return list(cursor.fetchall())


def insert_parts(row: models.Model) -> tuple[str, str, list[Any]]:
    """The quoted table, the column list and the values of an unsaved row (pk left out)."""
    quote = connection.ops.quote_name
    fields = [field for field in row._meta.concrete_fields if not field.primary_key]
    names = ", ".join(quote(field.column or field.attname) for field in fields)
    values = [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
    return quote(row._meta.db_table), names, values


def insert_row(row: models.Model) -> None:
    """Store an unsaved row with one plain INSERT; its pk is not read back.

    For rows nobody reads back at once (audit entries): ``Model.save`` costs several
    times the statement, and an audited write pays for one on every request.
    """
    table, names, values = insert_parts(row)
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
