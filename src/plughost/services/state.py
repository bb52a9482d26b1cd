"""The registry version counter that tells every process the plugin state changed."""

from __future__ import annotations

import enum

from django.db import transaction
from django.db.models import F

from plughost.db.models import RegistryState

STATE_ID = 1


class Change(enum.Enum):
    """What kind of change a version bump announces."""

    STATE = "state"  # activation, config: rebuild from the known plugins
    PACKAGES = "packages"  # installed plugins changed: rediscover, then rebuild


def read_versions() -> tuple[int, int]:
    """Return ``(version, collect_version)`` as stored (zeros before the first change)."""
    row = (
        RegistryState.objects.filter(pk=STATE_ID).values_list("version", "collect_version").first()
    )
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def bump_version(change: Change) -> tuple[int, int]:
    """Increment the version (and the collect version for package changes); return both.

    Call inside the transaction of the change, so the bump commits with it.
    """
    with transaction.atomic():
        RegistryState.objects.get_or_create(pk=STATE_ID)
        updates = {"version": F("version") + 1}
        if change is Change.PACKAGES:
            updates["collect_version"] = F("collect_version") + 1
        RegistryState.objects.filter(pk=STATE_ID).update(**updates)
        return read_versions()
