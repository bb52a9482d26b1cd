"""One install or uninstall at a time across every process and node: a database lock."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plughost.core.errors import InstallBusyError
from plughost.db.models import InstallLock

LOCK_ID = 1


@contextmanager
def install_lock(operation: str, *, lease_seconds: float) -> Iterator[str]:
    """Hold the install lock for ``operation``; raise InstallBusyError when another holds it.

    The lease outlives the install's own timeout, so only a dead holder's lock expires.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    with transaction.atomic():
        InstallLock.objects.get_or_create(pk=LOCK_ID)
        taken = (
            InstallLock.objects.filter(pk=LOCK_ID)
            .filter(Q(holder="") | Q(expires__lt=now))
            .update(
                holder=holder,
                operation=operation[:200],
                expires=now + timedelta(seconds=lease_seconds),
            )
        )
    if not taken:
        busy = InstallLock.objects.filter(pk=LOCK_ID).values_list("operation", flat=True).first()
        raise InstallBusyError(
            f"Another install or uninstall is running ({busy or 'unknown'}); "
            "try again when it has finished"
        )
    try:
        yield holder
    finally:
        InstallLock.objects.filter(pk=LOCK_ID, holder=holder).update(
            holder="", operation="", expires=None
        )
