"""The stored versions that tell every process the plugin state changed.

``version`` moves with every state change (activation, reload, install), ``collect_version``
when the installed plugins change (rediscover), ``settings_version`` when a setting changes
(clear setting caches, no rebuild). On PostgreSQL each bump also sends a NOTIFY on
``CHANNEL``, delivered when the transaction commits, so watchers wake at once; its payload is
the three counters after the bump and, for a setting change, the plugin's key, for an
activation the flag it stored (:func:`parse_payload`), so a watcher needs no query to learn
them, drops only that plugin's cached settings, and need not read the config rows again.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

from plughost.core.errors import PluginError
from plughost.db.models import RegistryState
from plughost.services.sql import fetch_rows, insert_columns, insert_values

STATE_ID = 1
VERSION_COLUMNS = ("version", "collect_version", "settings_version")
CHANNEL = "plughost_registry"
METADATA_CHANNEL = "plughost_metadata"
"""Where a PostgreSQL trigger (migration 0008) names each plugin whose metadata changed."""
GUARD = "/* guard */ TRUE"
"""Where a ``write_and_bump`` write's WHERE clause takes the check of ``decided_on``."""


class DecideAgain(Exception):  # noqa: N818 - an instruction to the caller, not an error
    """A write decided on a registry not checked against the stored versions did nothing.

    The versions it was decided on are no longer the stored ones, or the write could not be
    done in the one statement that checks them, or it failed in a way an older registry may
    explain. Nothing was written or recorded: decide again on ``fresh_registry()``.
    """


@contextmanager
def refusals_decide_again(decided_on: tuple[int, int] | None) -> Iterator[None]:
    """Where a write decides on an unchecked registry, a refusal may be that registry's age.

    Inside, a PluginError (not found, a refused value, an illegal change) becomes
    DecideAgain when ``decided_on`` is set: the write is decided again on a checked
    registry, which refuses for real if it must (``audited`` records nothing for
    DecideAgain). With ``decided_on`` None the error goes on as it is.
    """
    try:
        yield
    except PluginError:
        if decided_on is None:
            raise
        raise DecideAgain from None


class Change(enum.Enum):
    """What kind of change a version bump announces."""

    STATE = "state"  # activation, config: rebuild from the known plugins
    PACKAGES = "packages"  # installed plugins changed: rediscover, then rebuild
    SETTINGS = "settings"  # a setting value changed: clear setting caches


@dataclass(frozen=True)
class Versions:
    """The three stored counters."""

    version: int = 0
    collect_version: int = 0
    settings_version: int = 0


def read_versions() -> Versions:
    """Return the stored counters (zeros before the first change).

    Plain SQL: every write and every version check asks, and the ORM's query building
    costs more than the query.
    """
    rows = fetch_rows(_read_statement(), [STATE_ID])
    return _versions(rows[0]) if rows else Versions()


ConfigFlags = Mapping[str, bool]
"""What a state change did to the config rows: the active flags it stored, by plugin key
(empty: it changed no config row). A rebuild that knows this of every change since its
snapshot applies it to the snapshot's rows instead of reading them all again."""


@dataclass(frozen=True)
class Notice:
    """What one NOTIFY says: the counters after a bump, and what the change was."""

    versions: Versions
    scope: str | None = None  # the plugin key of a setting change
    configs: ConfigFlags | None = None  # what a state change did to config rows; None: unknown


def parse_payload(payload: str) -> Notice | None:
    """Return what a NOTIFY on ``CHANNEL`` carries; None for any other payload.

    After the counters, one token may follow: the plugin key of a setting change, or
    ``=+key`` or ``=-key``: that plugin was activated or deactivated, and no other config
    row changed. Plugin keys are slugs, which never start with ``=``.
    """
    parts = payload.split()
    counters, scope = parts[: len(VERSION_COLUMNS)], parts[len(VERSION_COLUMNS) :]
    if len(counters) != len(VERSION_COLUMNS) or len(scope) > 1:
        return None
    if not all(part.isdigit() for part in counters):
        return None
    versions = _versions(counters)
    if not scope:
        return Notice(versions)
    if not scope[0].startswith("="):
        return Notice(versions, scope[0])
    configs = _config_flags(scope[0][1:])
    return None if configs is None else Notice(versions, configs=configs)


def _config_flags(token: str) -> ConfigFlags | None:
    """``+key``/``-key``: one flag; None: unreadable."""
    if len(token) < 2 or token[0] not in "+-":
        return None
    return {token[1:]: token[0] == "+"}


def payload_token(scope: str | None, configs: ConfigFlags | None) -> str | None:
    """What a bump's NOTIFY says after the counters (see :func:`parse_payload`)."""
    if configs is None:
        return scope
    if scope is not None:
        raise ValueError("a notice tells of a setting change or of config rows, not both")
    if len(configs) != 1:
        return None  # a notice names one flag; any other change is read again
    [(key, active)] = configs.items()
    return f"={'+' if active else '-'}{key}"


def one_statement_writes() -> bool:
    """Whether a write may be one statement (``write_and_bump``).

    PostgreSQL, with no transaction open (a caller's would hold the statement's commit).
    """
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _versions(row: Sequence[Any]) -> Versions:
    return Versions(int(row[0]), int(row[1]), int(row[2]))


def _increments(change: Change) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(column)} = {quote(column)} + 1" for column in _BUMPED[change])


def _notify(columns: str) -> str:
    """The ``pg_notify`` of a bump: the counters after it, then its token (``payload_token``).

    Its parameters: the channel, the token.
    """
    return f"pg_notify(%s, concat_ws(' ', {columns}, %s::text))"


def _columns() -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(column) for column in VERSION_COLUMNS)


def _read_statement() -> str:
    quote = connection.ops.quote_name
    table = quote(RegistryState._meta.db_table)
    return f"SELECT {_columns()} FROM {table} WHERE {quote('id')} = %s"


_BUMPED = {
    Change.STATE: ("version",),
    Change.PACKAGES: ("version", "collect_version"),
    Change.SETTINGS: ("settings_version",),
}


def bump_version(
    change: Change, *, scope: str | None = None, configs: ConfigFlags | None = None
) -> Versions:
    """Increment the counters ``change`` concerns; return them.

    Call inside the transaction of the change, so the bump commits (and notifies) with it.
    One statement (``UPDATE ... RETURNING``; on PostgreSQL with the ``pg_notify`` in it),
    which is atomic by itself: every write of the API pays for it. ``scope``: the plugin
    whose settings changed, told to the watchers; ``configs``: what the change did to the
    config rows, all of it (see ``ConfigFlags``), told to the watchers.
    """
    token = payload_token(scope, configs)
    bumped = _bump(change, token)
    if bumped is None:  # the row does not exist yet (a database older than its first change)
        with transaction.atomic():
            RegistryState.objects.get_or_create(pk=STATE_ID)
        bumped = _bump(change, token)
        assert bumped is not None
    return bumped


def _bump(change: Change, token: str | None) -> Versions | None:
    quote = connection.ops.quote_name
    table = quote(RegistryState._meta.db_table)
    columns = _columns()
    update = (
        f"UPDATE {table} SET {_increments(change)} WHERE {quote('id')} = %s RETURNING {columns}"
    )
    if connection.vendor == "postgresql":
        rows = fetch_rows(
            f"WITH bumped AS ({update}) SELECT {columns}, {_notify(columns)} FROM bumped",
            [STATE_ID, CHANNEL, token],
        )
    else:
        rows = fetch_rows(update, [STATE_ID])
    return _versions(rows[0]) if rows else None


def versions_guard(decided_on: tuple[int, int] | None) -> tuple[str, list[Any]]:
    """A condition that the stored ``(version, collect_version)`` are ``decided_on``, and its
    values, for a write that bumps nothing (a metadata UPDATE); ``TRUE`` for None."""
    if decided_on is None:
        return "TRUE", []
    quote = connection.ops.quote_name
    table = quote(RegistryState._meta.db_table)
    return (
        f"EXISTS (SELECT 1 FROM {table} WHERE {quote('id')} = %s "
        f"AND {quote('version')} = %s AND {quote('collect_version')} = %s)",
        [STATE_ID, *decided_on],
    )


@functools.lru_cache(maxsize=64)
def _one_statement(
    change: Change, write: str, insert: type[models.Model] | None, guard: tuple[str, ...]
) -> str:
    """The text of a ``write_and_bump`` statement; its values go apart, in this order:
    the guard's (the state row's id and the stored ``guard`` columns' values, if any),
    the write's, the inserted row's, the bump's.

    The same few shapes come again on every write: built once each, not per request.
    """
    quote = connection.ops.quote_name
    columns = _columns()
    state_table = quote(RegistryState._meta.db_table)
    parts = []
    if guard:
        checks = "".join(f" AND {quote(column)} = %s" for column in guard)
        parts.append(f"guard AS (SELECT 1 FROM {state_table} WHERE {quote('id')} = %s{checks})")
        write = write.replace(GUARD, "EXISTS (SELECT 1 FROM guard)")
    parts.append(f"written AS ({write})")
    if insert is not None:
        table, names, count = insert_columns(insert)
        marks = ", ".join(["%s"] * count)
        parts.append(
            f"inserted AS (INSERT INTO {table} ({names}) "
            f"SELECT {marks} WHERE EXISTS (SELECT 1 FROM written))"
        )
    parts.append(
        f"bumped AS (UPDATE {state_table} SET {_increments(change)} "
        f"WHERE {quote('id')} = %s AND EXISTS (SELECT 1 FROM written) RETURNING {columns})"
    )
    return (
        f"WITH {', '.join(parts)} SELECT (SELECT count(*) FROM written), "
        f"{', '.join(f'bumped.{quote(c)}' for c in VERSION_COLUMNS)}, "
        f"{_notify(columns)}, first.* FROM (SELECT 1) AS one LEFT JOIN bumped ON TRUE "
        "LEFT JOIN (SELECT * FROM written LIMIT 1) AS first ON TRUE"
    )


@dataclass(frozen=True)
class Written:
    """What ``write_and_bump`` did: the versions after its bump, and the row it wrote."""

    versions: Versions
    row: tuple[Any, ...]  # what the write's RETURNING gave, for its first row


def write_and_bump(
    change: Change,
    write: str,
    params: Sequence[object],
    *,
    insert: models.Model | None = None,
    scope: str | None = None,
    configs: ConfigFlags | None = None,
    decided_on: tuple[int, int] | None = None,
    installed_only: bool = False,
) -> Written | None:
    """PostgreSQL, outside any transaction: a change and its bump as one statement.

    ``write`` is an ``UPDATE ... RETURNING`` of the change, with ``GUARD`` in its WHERE
    clause; ``insert`` one unsaved row that goes with it (its audit entry). Both, the
    version bump and its NOTIFY run as one statement (data-modifying CTEs): one round trip
    and one commit where a transaction of them costs five, and all or nothing as a
    transaction would be. ``decided_on``: the ``(version, collect_version)`` of the
    registry the write was decided on; the write then happens only if they are the stored
    ones when the statement runs, which spares the check's own round trip.
    ``installed_only``: the decision rests on the installed plugins alone (their
    definitions), not on any plugin's state: only ``collect_version`` is checked, so
    another plugin's activation meanwhile does not make it decide again. None when
    nothing was written (no row matched, or the versions moved): then nothing happened.
    """
    if not one_statement_writes():
        raise RuntimeError("write_and_bump is one PostgreSQL statement outside a transaction")
    if GUARD not in write:
        raise ValueError("write_and_bump's write must hold state.GUARD in its WHERE clause")
    guard: tuple[str, ...] = ()
    values: list[Any] = []
    if decided_on is not None:
        guard = ("collect_version",) if installed_only else ("version", "collect_version")
        values += [STATE_ID, *decided_on[-len(guard) :]]
    values += params
    if insert is not None:
        values += insert_values(insert)
    values += [STATE_ID, CHANNEL, payload_token(scope, configs)]
    statement = _one_statement(change, write, None if insert is None else type(insert), guard)
    [row] = fetch_rows(statement, values)  # one row, written or not (the LEFT JOINs)
    if not row[0]:
        return None
    written = tuple(row[2 + len(VERSION_COLUMNS) :])
    if row[1] is None:  # written, but the state row does not exist yet (a brand-new database)
        return Written(bump_version(change, scope=scope, configs=configs), written)
    return Written(_versions(row[1 : 1 + len(VERSION_COLUMNS)]), written)
