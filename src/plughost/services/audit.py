"""The audit log: every install, uninstall, activation and setting change, and its result.

A use case that is audited runs inside :func:`audited`, outermost, so that the entry of a
failed operation is written *after* the operation's own transaction has rolled back (and is
not rolled back with it). Changes made without an :class:`Actor` (plugin code changing its
own settings, internal calls) are not audited: the log records what administrators did.
Every text is masked (:func:`plughost.installer.mask_secrets`) before it is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from plughost.core.errors import InstallError, PluginError
from plughost.db.models import AuditAction, AuditEntry, AuditResult
from plughost.installer.secrets import mask_secrets
from plughost.services.guarded_writes import DecideAgain
from plughost.services.sql import insert_row

MAX_OUTPUT_LINES = 20
"""Lines of pip output kept with a failed install's message (the end, where pip explains)."""


@dataclass(frozen=True)
class Actor:
    """Who asked for a change, and from which address."""

    username: str
    address: str = ""


SYSTEM = Actor(username="(system)")
"""The actor of changes the server makes by itself (start-up installs)."""


@dataclass
class AuditNote:
    """What the audited block reports on success (and a more precise target, once known)."""

    action: AuditAction
    default_target: str
    actor: Actor | None
    message: str = ""
    target: str | None = None
    recorded: bool = False
    withdrawn: bool = False  # nothing happened: the caller retries another way, and records

    def record_success(self) -> None:
        """Write the success entry now, inside the use case's own write transaction.

        For a use case whose work must finish outside that transaction (an activation
        rebuilds after its commit): the entry commits with the change, in the same commit,
        instead of in one of its own afterwards. Should the work after the commit fail, a
        failure entry follows the success one: both are true.
        """
        if self.actor is not None and not self.recorded:
            target = self.target or self.default_target
            record(self.action, target, self.actor, ok=True, message=self.message)
            self.recorded = True

    def success_entry(self) -> AuditEntry | None:
        """The success entry to store (None without an actor, or once recorded).

        A use case that stores it itself, in the statement of its change, sets ``recorded``.
        """
        if self.actor is None or self.recorded:
            return None
        return new_entry(
            self.action,
            self.target or self.default_target,
            self.actor,
            ok=True,
            message=self.message,
        )


def record(
    action: AuditAction, target: str, actor: Actor, *, ok: bool, message: str = ""
) -> AuditEntry:
    """Write one audit entry (masked), outside of any operation's transaction.

    One plain INSERT: the entry's pk is not read back.
    """
    entry = new_entry(action, target, actor, ok=ok, message=message)
    insert_row(entry)
    return entry


def new_entry(
    action: AuditAction, target: str, actor: Actor, *, ok: bool, message: str = ""
) -> AuditEntry:
    """Return one audit entry (masked), not yet stored."""
    return AuditEntry(
        created=timezone.now(),
        user=actor.username[:150],
        address=actor.address[:100],
        action=action,
        target=mask_secrets(target)[:500],
        result=AuditResult.OK if ok else AuditResult.FAILED,
        message=mask_secrets(message),
    )


@contextmanager
def audited(
    action: AuditAction, target: str, actor: Actor | None, *, together: bool = False
) -> Iterator[AuditNote]:
    """Run a use case and record its outcome; nothing is recorded without an actor.

    Use it outermost in the use case, so a failure's entry survives the rollback.
    ``together`` (short use cases only: never an install, which runs pip for seconds):
    the use case runs in one transaction with its success entry, so both commit at once
    (one commit, one WAL flush on PostgreSQL, instead of two) or neither does.
    """
    note = AuditNote(action, target, actor)
    try:
        if together:
            with transaction.atomic():
                yield note
                note.record_success()
            return
        yield note
    except DecideAgain:
        raise  # nothing was done: the caller decides again, and that attempt records
    except PluginError as exc:
        if actor is not None:
            record(action, note.target or target, actor, ok=False, message=describe_error(exc))
        raise
    except Exception as exc:
        if actor is not None:
            message = f"{type(exc).__name__}: {exc}"
            record(action, note.target or target, actor, ok=False, message=message)
        raise
    if not note.withdrawn:
        note.record_success()


def describe_error(exc: PluginError) -> str:
    """The error's message, with the end of pip's output for install errors."""
    if isinstance(exc, InstallError) and exc.output:
        return "\n".join([exc.message, *exc.output[-MAX_OUTPUT_LINES:]])
    return exc.message


def entries(
    *, action: str | None = None, result: str | None = None, user: str | None = None
) -> QuerySet[AuditEntry]:
    """Return the audit entries, newest first, optionally filtered."""
    queryset = AuditEntry.objects.order_by("-created", "-id")
    if action:
        queryset = queryset.filter(action=action)
    if result:
        queryset = queryset.filter(result=result)
    if user:
        queryset = queryset.filter(user=user)
    return queryset
