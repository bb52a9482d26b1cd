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
        InstallLock.objects.filter(pk=LOCK_ID, holder=holder).update(
            holder="", operation="", expires=None
        )


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
    host, _, rest = (current or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return None
    return current if not _is_running(int(pid)) else None


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
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
