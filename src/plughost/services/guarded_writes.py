"""Writes decided on a registry that nobody checked against the stored versions.

A request's write decides on this process's snapshot without reading the versions first;
on PostgreSQL, outside a caller's transaction, the write is one statement
(:func:`write_and_bump`: data-modifying CTEs holding the change, its audit entry, the
version bump and its NOTIFY) whose guard checks that the snapshot's versions are still the
stored ones. When it did nothing it raises :class:`DecideAgain`, telling what it found
stored, and the caller decides again on a checked registry (``registry.decide_write``).
The counters themselves, and the SQL of a bump, are ``state``'s.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, models

from plughost.core.errors import PluginError
from plughost.services.sql import fetch_rows, insert_columns, insert_values
from plughost.services.state import (
    CHANNEL,
    STATE_ID,
    VERSION_COLUMNS,
    Change,
    Changes,
    ConfigFlags,
    Versions,
    bump_update,
    bump_version,
    counter_columns,
    keeps,
    notify_call,
    payload_token,
    recent_changes,
    state_table,
    versions_from,
)

GUARD = "/* guard */ TRUE"
"""Where a ``write_and_bump`` write's WHERE clause takes the check of ``decided_on``."""
SEEN_CHANGES = 128
"""More changes than this since a write's snapshot are not looked up one by one."""


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


@dataclass(frozen=True)
class Seen:
    """What a write's statement found stored: the versions, and the changes (from the
    state row's ``recent_changes``) since the snapshot it was decided on, as far as they
    are kept."""

    versions: Versions
    changes: Changes


def one_statement_writes() -> bool:
    """Whether a write may be one statement (``write_and_bump``).

    PostgreSQL, with no transaction open (a caller's would hold the statement's commit).
    """
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def versions_guard(decided_on: tuple[int, int] | None) -> tuple[str, list[Any]]:
    """A condition that the stored ``(version, collect_version)`` are ``decided_on``, and its
    values, for a write that bumps nothing (a metadata UPDATE); ``TRUE`` for None."""
    if decided_on is None:
        return "TRUE", []
    quote = connection.ops.quote_name
    return (
        f"EXISTS (SELECT 1 FROM {state_table()} WHERE {quote('id')} = %s "
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
    parts = []
    write = shape.write
    if shape.guard:
        stored_columns = f"{counter_columns()}, {quote('recent_changes')}"
        parts.append(
            f"stored AS (SELECT {stored_columns} FROM {state_table()} WHERE {quote('id')} = %s)"
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
    written = " AND EXISTS (SELECT 1 FROM written)"
    parts.append(f"bumped AS ({bump_update(shape.change, kept=shape.kept, condition=written)})")
    bumped = ", ".join(f"bumped.{quote(c)}" for c in VERSION_COLUMNS)
    # Only a bump notifies: the one row comes whether or not anything was written.
    notify = f"CASE WHEN bumped.{quote('version')} IS NOT NULL THEN {notify_call(bumped)} END"
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
        raise ValueError("write_and_bump's write must hold GUARD in its WHERE clause")
    if settles is not None and (decided_on is None or GUARD not in settles[0]):
        raise ValueError("settles needs decided_on and GUARD in its condition")
    token = payload_token(scope, configs)
    shape = _Shape(
        change,
        write,
        None if insert is None else type(insert),
        () if decided_on is None else _guarded(installed_only=installed_only),
        keeps(change, token),
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
    seen = None if decided_on is None else _seen(row, decided_on)
    written = _answer(row, seen, guarded=decided_on is not None)
    if written is None:
        if decided_on is not None:
            raise DecideAgain(seen)
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
    versions = versions_from(stored)
    numbers = range(decided_on[0] + 1, versions.version + 1)
    if not numbers:
        return Seen(versions, {})
    if len(numbers) > SEEN_CHANGES:  # more than can be kept: unknown, read the rows
        return Seen(versions, {numbers[-1]: None})
    # Every change since, as the row tells it: one not kept there is unknown (None), so
    # nobody asks the row again for it.
    recent = recent_changes(kept, after=decided_on[0])
    return Seen(versions, {number: recent.get(number) for number in numbers})


def _answer(row: Sequence[Any], seen: Seen | None, *, guarded: bool) -> Written | None:
    """Read a ``write_and_bump`` statement's answer (see ``_one_statement``); ``seen``: its
    stored part (``_seen``), when ``guarded``.

    None: nothing written, and it did not settle. Written but not bumped (no state row
    yet): the versions are zeros, for the caller to bump.
    """
    count = len(VERSION_COLUMNS)
    bumped, rest = row[1 : 1 + count], row[2 + count :]
    settled = False
    if guarded:
        settled, rest = rest[count + 1], rest[count + 2 :]
    changes = seen.changes if seen is not None else {}
    if not row[0]:
        if settled and seen is not None:
            return Written(seen.versions, (), changes, changed=False)
        return None
    versions = Versions() if bumped[0] is None else versions_from(bumped)
    return Written(versions, tuple(rest), changes)
