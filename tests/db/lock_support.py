"""Helpers for tests of the install lock: a holder that holds it, a process that is gone."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from django.utils import timezone

from plughost.db.models import InstallLock
from plughost.services.install_lock import LOCK_ID


def hold(holder: str) -> None:
    """Store ``holder`` as the lock's holder for an hour, as a killed install leaves it."""
    InstallLock.objects.update_or_create(
        pk=LOCK_ID,
        defaults={
            "holder": holder,
            "operation": "install by a process that was killed",
            "expires": timezone.now() + timedelta(hours=1),
        },
    )


def dead_pid() -> int:
    """Return the pid of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def dead_holder() -> str:
    """Return a holder id of this host whose process is gone."""
    return f"{socket.gethostname()}:{dead_pid()}:deadbeef"
