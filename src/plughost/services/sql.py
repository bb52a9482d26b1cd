"""Plain SQL for the statements every request pays for.

Building an ORM query costs more than running these one-row statements (the stored
versions, a version bump, a plugin's metadata, an audit entry); they are spelt out once
here and run through Django's connection (its error mapping, its health check and its
query log).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def fetch_rows(statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``statement`` and return its rows."""
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return list(cursor.fetchall())


@functools.lru_cache(maxsize=32)
def _inserted_fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


def insert_columns(model: type[models.Model]) -> tuple[str, str, int]:
    """The quoted table, the column list and the number of values of an INSERT of ``model``.

    The columns of :func:`insert_values`, in its order (the pk is left out).
    """
    quote = connection.ops.quote_name
    fields = _inserted_fields(model)
    names = ", ".join(quote(field.column or field.attname) for field in fields)
    return quote(model._meta.db_table), names, len(fields)


def insert_values(row: models.Model) -> list[Any]:
    """The values of an unsaved row, as the database takes them (see insert_columns)."""
    return [
        field.get_db_prep_save(getattr(row, field.attname), connection)
        for field in _inserted_fields(type(row))
    ]


def insert_row(row: models.Model) -> None:
    """Store an unsaved row with one plain INSERT; its pk is not read back.

    For rows nobody reads back at once (audit entries): ``Model.save`` costs several
    times the statement, and an audited write pays for one on every request.
    """
    table, names, count = insert_columns(type(row))
    marks = ", ".join(["%s"] * count)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", insert_values(row))
