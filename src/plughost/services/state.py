"""The stored versions that tell every process the plugin state changed.

``version`` moves with every state change (activation, reload, install), ``collect_version``
when the installed plugins change (rediscover), ``settings_version`` when a setting changes
(clear setting caches, no rebuild). On PostgreSQL each bump also sends a NOTIFY on
``CHANNEL``, delivered when the transaction commits, so watchers wake at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from plughost.db.models import RegistryState

STATE_ID = 1
CHANNEL = "plughost_registry"


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
    """Return the stored counters (zeros before the first change)."""
    row = (
        RegistryState.objects.filter(pk=STATE_ID)
        .values_list("version", "collect_version", "settings_version")
        .first()
    )
    return Versions() if row is None else Versions(int(row[0]), int(row[1]), int(row[2]))


def bump_version(change: Change) -> Versions:
    """Increment the counters ``change`` concerns; return them.

    Call inside the transaction of the change, so the bump commits (and notifies) with it.
    """
    with transaction.atomic():
        RegistryState.objects.get_or_create(pk=STATE_ID)
        if change is Change.SETTINGS:
            updates = {"settings_version": F("settings_version") + 1}
        else:
            updates = {"version": F("version") + 1}
            if change is Change.PACKAGES:
                updates["collect_version"] = F("collect_version") + 1
        RegistryState.objects.filter(pk=STATE_ID).update(**updates)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, change.value])
        return read_versions()
