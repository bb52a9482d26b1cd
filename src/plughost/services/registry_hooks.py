"""What follows a registry build in every process: schedule sync and error notices."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError

from plughost.core.registry import Registry
from plughost.services.notifications import notify_new_errors
from plughost.services.schedules import sync_schedules_if_changed

logger = logging.getLogger(__name__)


def after_rebuild(
    previous: Registry, current: Registry, active_keys: Iterable[str], *, resync: bool
) -> None:
    """Sync the plugin schedules and notify new plugin errors; never fail the build.

    The new snapshot is in place already; a database error here is logged, and the next
    build (in this or any other process) tries again.
    """
    try:
        sync_schedules_if_changed(current, active_keys, resync=resync)
    except DatabaseError:
        logger.exception("could not sync the plugin schedules")
    try:
        notify_new_errors(previous, current)
    except DatabaseError:
        logger.exception("could not queue notifications of plugin errors")
