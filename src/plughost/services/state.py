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
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
SEEN_CHANGES = 128
"""More changes than this since a write's snapshot are not looked up one by one."""
RECENT_CHARACTERS = 1500
"""How much of ``recent_changes`` is kept: its end, some 60 changes of short plugin keys
(the row stays small enough to be stored whole). A snapshot further behind than what is
kept reads the config rows."""


class DecideAgain(Exception):  # noqa: N818 - an instruction to the caller, not an error
    """A write decided on a registry not checked against the stored versions did nothing.

    The versions it was decided on are no longer the stored ones, or the write could not be
    done in the one statement that checks them, or it failed in a way an older registry may
    explain. Nothing was written or recorded: decide again on ``fresh_registry()``.
    ``seen``: what the statement found stored, when one ran (``fresh_registry`` then
    catches up with that instead of reading it again).
    """

    def __init__(self, seen: Seen | None = None) -> None:
        super().__init__()
        self.seen = seen


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

Changes = Mapping[int, ConfigFlags | None]
"""What state changes did to the config rows, by the version each bumped to; None: not
one flag (a reload, an install): the rows must be read again."""


@dataclass(frozen=True)
class Seen:
    """What a write's statement found stored: the versions, and the changes (from the
    state row's ``recent_changes``) since the snapshot it was decided on, as far as they
    are kept."""

    versions: Versions
    changes: Changes


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


def read_changes(after: int, upto: int) -> Changes:
    """The kept changes (``recent_changes``) of versions ``after`` (excluded) to ``upto``."""
    quote = connection.ops.quote_name
    table = quote(RegistryState._meta.db_table)
    rows = fetch_rows(
        f"SELECT {quote('recent_changes')} FROM {table} WHERE {quote('id')} = %s", [STATE_ID]
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


def _kept(change: Change, token: str | None) -> bool:
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


def _bump(change: Change, token: str | None) -> Versions | None:
    quote = connection.ops.quote_name
    table = quote(RegistryState._meta.db_table)
    columns = _columns()
    kept = _kept(change, token)
    assignments = _increments(change) + (f", {_keeping()}" if kept else "")
    update = f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s RETURNING {columns}"
    values: list[Any] = [*([token] if kept else []), STATE_ID]
    if connection.vendor == "postgresql":
        rows = fetch_rows(
            f"WITH bumped AS ({update}) SELECT {columns}, {_notify(columns)} FROM bumped",
            [*values, CHANNEL, token],
        )
    else:
        rows = fetch_rows(update, values)
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


@dataclass(frozen=True)
class _Shape:
    """What the text of a ``write_and_bump`` statement depends on."""

    change: Change
    write: str
    insert: type[models.Model] | None
    guard: tuple[str, ...]  # the state columns checked against ``decided_on``
    kept: bool  # its bump keeps its token in ``recent_changes``
    settles: str | None  # see ``write_and_bump``


@functools.lru_cache(maxsize=64)
def _one_statement(shape: _Shape) -> str:
    """The text of a ``write_and_bump`` statement; its values go apart, in this order:
    the guard's (the state row's id and the stored ``guard`` columns' values, if any),
    the write's, the ``settles`` condition's, the inserted row's, the bump's (the token it
    keeps in ``recent_changes`` if it keeps one, the state row's id, the NOTIFY's channel
    and token).

    It answers one row: the number of rows written, the versions after the bump (NULL when
    nothing was written, and then nothing is notified), the NOTIFY's, with a guard the
    stored versions it checked with the state row's ``recent_changes`` and whether it
    settled, then the written row.
    The same few shapes come again on every write: built once each, not per request.
    """
    quote = connection.ops.quote_name
    columns = _columns()
    state_table = quote(RegistryState._meta.db_table)
    parts = []
    write = shape.write
    if shape.guard:
        kept_text = quote("recent_changes")
        parts.append(
            f"stored AS (SELECT {columns}, {kept_text} FROM {state_table} WHERE {quote('id')} = %s)"
        )
        checks = " AND ".join(f"{quote(column)} = %s" for column in shape.guard)
        parts.append(f"guard AS (SELECT 1 FROM stored WHERE {checks})")
        write = write.replace(GUARD, "EXISTS (SELECT 1 FROM guard)")
    parts.append(f"written AS ({write})")
    done = "EXISTS (SELECT 1 FROM written)"
    if shape.settles is not None:
        settles = shape.settles.replace(GUARD, "EXISTS (SELECT 1 FROM guard)")
        parts.append(f"settled AS (SELECT 1 WHERE NOT {done} AND {settles})")
        done = f"({done} OR EXISTS (SELECT 1 FROM settled))"
    if shape.insert is not None:
        table, names, count = insert_columns(shape.insert)
        marks = ", ".join(["%s"] * count)
        parts.append(f"inserted AS (INSERT INTO {table} ({names}) SELECT {marks} WHERE {done})")
    assignments = _increments(shape.change) + (f", {_keeping()}" if shape.kept else "")
    parts.append(
        f"bumped AS (UPDATE {state_table} SET {assignments} "
        f"WHERE {quote('id')} = %s AND EXISTS (SELECT 1 FROM written) RETURNING {columns})"
    )
    bumped = ", ".join(f"bumped.{quote(c)}" for c in VERSION_COLUMNS)
    # Only a bump notifies: the one row comes whether or not anything was written.
    notify = f"CASE WHEN bumped.{quote('version')} IS NOT NULL THEN {_notify(bumped)} END"
    answers = [f"(SELECT count(*) FROM written), {bumped}, {notify}"]
    joins = ["LEFT JOIN bumped ON TRUE"]
    if shape.guard:
        # As the statement began: before its own bump.
        stored = [*VERSION_COLUMNS, "recent_changes"]
        answers.append(", ".join(f"stored.{quote(c)}" for c in stored))
        answers.append("FALSE" if shape.settles is None else "EXISTS (SELECT 1 FROM settled)")
        joins.append("LEFT JOIN stored ON TRUE")
    joins.append("LEFT JOIN (SELECT * FROM written LIMIT 1) AS first ON TRUE")
    return (
        f"WITH {', '.join(parts)} SELECT {', '.join(answers)}, first.* "
        f"FROM (SELECT 1) AS one {' '.join(joins)}"
    )


@dataclass(frozen=True)
class Written:
    """What ``write_and_bump`` did: the versions after its bump, the row it wrote, and
    the changes before it since the snapshot it was decided on (see ``Seen``).

    ``changed`` False: the write found nothing to change and its ``settles`` condition
    held; its entry was written, nothing was bumped, and ``versions`` are the stored ones.
    """

    versions: Versions
    row: tuple[Any, ...]  # what the write's RETURNING gave, for its first row
    changes: Changes
    changed: bool = True


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
    settles: tuple[str, Sequence[object]] | None = None,
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
    nothing was written (no row matched, or the versions moved): then nothing happened;
    with ``decided_on``, DecideAgain instead, telling what the statement found stored.
    ``settles`` (with ``decided_on``): a condition, with ``GUARD`` in it, and its values,
    under which a write that matched no row has nothing to do (the flag it would store is
    stored already): its entry is written all the same, nothing is bumped, and the answer
    is ``Written.changed`` False instead of DecideAgain.
    """
    if not one_statement_writes():
        raise RuntimeError("write_and_bump is one PostgreSQL statement outside a transaction")
    if GUARD not in write:
        raise ValueError("write_and_bump's write must hold state.GUARD in its WHERE clause")
    if settles is not None and (decided_on is None or GUARD not in settles[0]):
        raise ValueError("settles needs decided_on and state.GUARD in its condition")
    token = payload_token(scope, configs)
    shape = _Shape(
        change,
        write,
        None if insert is None else type(insert),
        () if decided_on is None else _guarded(installed_only=installed_only),
        _kept(change, token),
        None if settles is None else settles[0],
    )
    values: list[Any] = []
    if decided_on is not None:
        values += [STATE_ID, *decided_on[-len(shape.guard) :]]
    values += [*params, *(settles[1] if settles is not None else ())]
    if insert is not None:
        values += insert_values(insert)
    values += [*([token] if shape.kept else []), STATE_ID, CHANNEL, token]
    [row] = fetch_rows(_one_statement(shape), values)  # one row, written or not
    written = _answer(row, decided_on)
    if written is None:
        if decided_on is not None:
            raise DecideAgain(_seen(row, decided_on))
        return None
    if written.changed and row[1] is None:  # no state row yet (a brand-new database)
        return replace(written, versions=bump_version(change, scope=scope, configs=configs))
    return written


def _guarded(*, installed_only: bool) -> tuple[str, ...]:
    return ("collect_version",) if installed_only else ("version", "collect_version")


def _seen(row: Sequence[Any], decided_on: tuple[int, int]) -> Seen | None:
    """What a guarded ``write_and_bump`` statement found stored (None: no state row), with
    the kept changes since the snapshot the write was decided on."""
    count = len(VERSION_COLUMNS)
    stored, kept = row[2 + count : 2 + 2 * count], row[2 + 2 * count]
    if stored[0] is None:
        return None
    versions = _versions(stored)
    numbers = range(decided_on[0] + 1, versions.version + 1)
    if not numbers:
        return Seen(versions, {})
    if len(numbers) > SEEN_CHANGES:  # more than can be kept: unknown, read the rows
        return Seen(versions, {numbers[-1]: None})
    # Every change since, as the row tells it: one not kept there is unknown (None), so
    # nobody asks the row again for it.
    recent = recent_changes(kept, after=decided_on[0])
    return Seen(versions, {number: recent.get(number) for number in numbers})


def _answer(row: Sequence[Any], decided_on: tuple[int, int] | None) -> Written | None:
    """Read a ``write_and_bump`` statement's answer (see ``_one_statement``).

    None: nothing written, and it did not settle. Written but not bumped (no state row
    yet): the versions are zeros, for the caller to bump.
    """
    count = len(VERSION_COLUMNS)
    bumped, rest = row[1 : 1 + count], row[2 + count :]
    seen, settled = None, False
    if decided_on is not None:
        seen, settled, rest = _seen(row, decided_on), rest[count + 1], rest[count + 2 :]
    changes = seen.changes if seen is not None else {}
    if not row[0]:
        if settled and seen is not None:
            return Written(seen.versions, (), changes, changed=False)
        return None
    versions = Versions() if bumped[0] is None else _versions(bumped)
    return Written(versions, tuple(rest), changes)
