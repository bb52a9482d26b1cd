"""The stored versions that tell every process the plugin state changed.

``version`` moves with every state change (activation, reload, install), ``collect_version``
when the installed plugins change (rediscover), ``settings_version`` when a setting changes
(clear setting caches, no rebuild). On PostgreSQL each bump also sends a NOTIFY on
``CHANNEL``, delivered when the transaction commits, so watchers wake at once; its payload is
the three counters after the bump and, for a setting change, the plugin's key, for an
activation the flag it stored (:func:`parse_payload`), so a watcher needs no query to learn
them, drops only that plugin's cached settings, and need not read the config rows again.
A ``version`` bump that tells its flag also appends ``version token`` to the state row's
``recent_changes``, so a process that missed the NOTIFYs (SQLite has none) or acts before
they arrive (a write decided on a snapshot a few changes old) learns the same from the
row it reads or writes anyway.

The writes that check these counters in their own statement are in ``guarded_writes``;
the SQL they share with the bump is here (``bump_update``, ``notify_call``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from plughost.db.models import RegistryState
from plughost.services.sql import fetch_rows

STATE_ID = 1
VERSION_COLUMNS = ("version", "collect_version", "settings_version")
CHANNEL = "plughost_registry"
METADATA_CHANNEL = "plughost_metadata"
"""Where a PostgreSQL trigger (migration 0008) names each plugin whose metadata changed."""
RECENT_CHARACTERS = 1500
"""How much of ``recent_changes`` is kept: its end, some 60 changes of short plugin keys
(the row stays small enough to be stored whole). A snapshot further behind than what is
kept reads the config rows."""


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
    return versions_from(rows[0]) if rows else Versions()


ConfigFlags = Mapping[str, bool]
"""What a state change did to the config rows: the active flags it stored, by plugin key
(empty: it changed no config row). A rebuild that knows this of every change since its
snapshot applies it to the snapshot's rows instead of reading them all again."""

Changes = Mapping[int, ConfigFlags | None]
"""What state changes did to the config rows, by the version each bumped to; None: not
one flag (a reload, an install): the rows must be read again."""


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
    versions = versions_from(counters)
    if not scope:
        return Notice(versions)
    if not scope[0].startswith("="):
        return Notice(versions, scope[0])
    configs = configs_of(scope[0])
    return None if configs is None else Notice(versions, configs=configs)


def configs_of(token: str) -> ConfigFlags | None:
    """The flag a state change's token (``=+key``/``=-key``) tells of; None: any other."""
    if len(token) < 3 or token[0] != "=" or token[1] not in "+-":
        return None
    return {token[2:]: token[1] == "+"}


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


def versions_from(row: Sequence[Any]) -> Versions:
    """The counters of a row that holds them in ``VERSION_COLUMNS`` order."""
    return Versions(int(row[0]), int(row[1]), int(row[2]))


def _increments(change: Change) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(column)} = {quote(column)} + 1" for column in _BUMPED[change])


def notify_call(columns: str) -> str:
    """The ``pg_notify`` of a bump: the counters after it (``columns``, their SQL), then its
    token (``payload_token``). Its parameters: the channel, the token."""
    return f"pg_notify(%s, concat_ws(' ', {columns}, %s::text))"


def counter_columns() -> str:
    """``VERSION_COLUMNS``, quoted, for a SELECT list."""
    quote = connection.ops.quote_name
    return ", ".join(quote(column) for column in VERSION_COLUMNS)


def state_table() -> str:
    """The state row's table, quoted."""
    return connection.ops.quote_name(RegistryState._meta.db_table)


def _read_statement() -> str:
    quote = connection.ops.quote_name
    return f"SELECT {counter_columns()} FROM {state_table()} WHERE {quote('id')} = %s"


def read_changes(after: int, upto: int) -> Changes:
    """The kept changes (``recent_changes``) of versions ``after`` (excluded) to ``upto``."""
    quote = connection.ops.quote_name
    rows = fetch_rows(
        f"SELECT {quote('recent_changes')} FROM {state_table()} WHERE {quote('id')} = %s",
        [STATE_ID],
    )
    recent = recent_changes(rows[0][0] if rows else "", after=after)
    return {number: flags for number, flags in recent.items() if number <= upto}


def recent_changes(text: str | None, *, after: int = -1) -> Changes:
    """What ``recent_changes`` tells: each kept change's flag, by version, of the versions
    above ``after``, oldest first.

    Each change is ``\\n<version> <token>``, in the order of their versions; what precedes
    the first line break may be the end of one whose beginning was cut off (only the end
    of the text is kept): skipped. Read from the end, as far back as ``after``.
    """
    changes: list[tuple[int, ConfigFlags | None]] = []
    for line in reversed((text or "").split("\n")[1:]):
        number, _, token = line.partition(" ")
        if not number.isdigit():
            continue
        if int(number) <= after:
            break
        changes.append((int(number), configs_of(token)))
    return dict(reversed(changes))


def keeps(change: Change, token: str | None) -> bool:
    """Whether a bump keeps its token in ``recent_changes``: it moves ``version`` and tells
    what it did (``configs_of`` reads its token). Any other change is not kept, which
    says the same as keeping it unknown: read the rows."""
    return token is not None and "version" in _BUMPED[change]


def _keeping() -> str:
    """The assignment that appends a bump's change to ``recent_changes`` and keeps its end;
    its one parameter the token. In the bump's own UPDATE: ``version`` is the old value."""
    quote = connection.ops.quote_name
    recent, version = quote("recent_changes"), quote("version")
    if connection.vendor == "postgresql":
        added = f"{recent} || E'\\n' || ({version} + 1)::text || ' ' || %s::text"
        return f"{recent} = right({added}, {RECENT_CHARACTERS})"
    added = f"{recent} || char(10) || ({version} + 1) || ' ' || %s"
    return f"{recent} = substr({added}, -{RECENT_CHARACTERS})"


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


def bump_update(change: Change, *, kept: bool, condition: str = "") -> str:
    """The UPDATE of a bump of ``change``, RETURNING the counters after it.

    ``kept``: it appends its token to ``recent_changes`` (``keeps``). ``condition``: more of
    its WHERE clause (`` AND ...``). Its parameters: the token if kept, the state row's id.
    """
    quote = connection.ops.quote_name
    assignments = _increments(change) + (f", {_keeping()}" if kept else "")
    return (
        f"UPDATE {state_table()} SET {assignments} WHERE {quote('id')} = %s{condition} "
        f"RETURNING {counter_columns()}"
    )


def _bump(change: Change, token: str | None) -> Versions | None:
    kept = keeps(change, token)
    update = bump_update(change, kept=kept)
    values: list[Any] = [*([token] if kept else []), STATE_ID]
    if connection.vendor == "postgresql":
        columns = counter_columns()
        rows = fetch_rows(
            f"WITH bumped AS ({update}) SELECT {columns}, {notify_call(columns)} FROM bumped",
            [*values, CHANNEL, token],
        )
    else:
        rows = fetch_rows(update, values)
    return versions_from(rows[0]) if rows else None
