"""A holder of the install lock that was killed on this host loses it at once."""

from __future__ import annotations

import os
import socket

import pytest

from plughost.core.errors import InstallBusyError
from plughost.db.models import InstallLock
from plughost.services.install_lock import LOCK_ID, install_lock
from tests.db.lock_support import dead_pid, hold

pytestmark = pytest.mark.django_db
LEASE = 3600.0


def test_a_dead_local_holder_is_taken_over_before_its_lease_ends() -> None:
    hold(f"{socket.gethostname()}:{dead_pid()}:deadbeef")

    with install_lock("install after a crash", lease_seconds=LEASE) as holder:
        assert InstallLock.objects.get(pk=LOCK_ID).holder == holder

    assert InstallLock.objects.get(pk=LOCK_ID).holder == ""


@pytest.mark.parametrize(
    "holder",
    [
        f"{socket.gethostname()}:{os.getppid()}:cafe0001",  # alive on this host
        "another-node:1:cafe0002",  # another node: only its lease can tell
    ],
)
def test_a_live_or_remote_holder_keeps_the_lock(holder: str) -> None:
    hold(holder)

    with pytest.raises(InstallBusyError), install_lock("second", lease_seconds=LEASE):
        pass

    assert InstallLock.objects.get(pk=LOCK_ID).holder == holder
