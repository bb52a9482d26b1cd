"""One install or uninstall at a time across every process and node: a database lease.

The lock is one row (:class:`~plughost.db.models.InstallLock`). Taking it is a single
conditional ``UPDATE`` (free, or its lease expired), which every database serialises, so
exactly one caller wins; the others get :class:`InstallBusyError` (a 409) at once, or wait
up to ``wait_seconds`` (start-up installs). The lease outlives the longest install, so
only a holder that died loses it; release is keyed by the holder's id, so a holder whose
lease was taken over can never free its successor's lock.

A holder killed outright (SIGKILL, a crash) never releases. When it ran on this host, its
process id tells at once that it is gone, and the lock is taken over without waiting for the
lease: holder ids are ``<host>:<pid>:<random>``. A holder on another node keeps the lock
until its lease ends (``PLUGHOST_INSTALL_TIMEOUT`` x 3 + 2 minutes).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from plughost.core.errors import InstallBusyError
from plughost.db.models import InstallLock

LOCK_ID = 1
POLL_SECONDS = 0.5


@contextmanager
def install_lock(
    operation: str, *, lease_seconds: float, wait_seconds: float = 0.0
) -> Iterator[str]:
    """Hold the install lock for ``operation``; raise InstallBusyError when another holds it."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait_seconds
    while not _take(holder, operation, lease_seconds):
        if time.monotonic() >= deadline:
            busy = InstallLock.objects.filter(pk=LOCK_ID).values_list("operation", flat=True)
            raise InstallBusyError(
                f"Another plugin install or uninstall is running ({busy.first() or 'unknown'}); "
                "try again when it has finished."
            )
        time.sleep(POLL_SECONDS)
    try:
        yield holder
    finally:
        release_holder(holder)


def release_holder(holder: str) -> bool:
    """Free the lock if ``holder`` has it; return whether it did."""
    freed = InstallLock.objects.filter(pk=LOCK_ID, holder=holder).update(
        holder="", operation="", expires=None
    )
    return bool(freed)


def _take(holder: str, operation: str, lease_seconds: float) -> bool:
    now = timezone.now()
    _ensure_row()
    free = Q(holder="") | Q(expires__lt=now)
    dead = _dead_local_holder()
    if dead is not None:
        free |= Q(holder=dead)
    with transaction.atomic():
        taken = (
            InstallLock.objects.filter(pk=LOCK_ID)
            .filter(free)
            .update(
                holder=holder,
                operation=operation[:200],
                expires=now + timedelta(seconds=lease_seconds),
            )
        )
    return bool(taken)


def _dead_local_holder() -> str | None:
    """Return the current holder's id when it is a process of this host that no longer runs."""
    current = InstallLock.objects.filter(pk=LOCK_ID).values_list("holder", flat=True).first()
    if not current or current.partition(":")[0] != socket.gethostname():
        return None
    return None if holder_is_running(current) else current


def release_dead_local_holder() -> bool:
    """Free the lock when a process of this host that died holds it; return whether it did.

    ``serve`` calls it at start-up, so a lock left by a killed install does not show as
    held (nor wait for the next install to take it over).
    """
    dead = _dead_local_holder()
    return dead is not None and release_holder(dead)


def holder_is_running(holder: str) -> bool:
    """Whether the process of holder id ``<host>:<pid>:<random>`` runs (this host only).

    This process's own id counts as running: its operation is still in a frame above.
    """
    pid = holder.partition(":")[2].partition(":")[0]
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def _ensure_row() -> None:
    """Create the lock row once; two processes racing to create it both go on."""
    if InstallLock.objects.filter(pk=LOCK_ID).exists():
        return
    try:
        with transaction.atomic():
            InstallLock.objects.get_or_create(pk=LOCK_ID)
    except IntegrityError:
        pass  # another process created it between our check and our insert


def is_locked() -> bool:
    """Return whether a live holder has the lock now."""
    return (
        InstallLock.objects.filter(pk=LOCK_ID, expires__gte=timezone.now())
        .exclude(holder="")
        .exists()
    )
