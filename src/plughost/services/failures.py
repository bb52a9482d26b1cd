"""Failures of loaded plugins' code while the server runs, for ``status/``.

Load failures are registry errors (each process rebuilds them). A plugin that loaded fine
can still fail later: its event handler raises in the task worker, its URL view or action
raises in a request. Each is recorded here, one row per plugin and stage with a count and
the latest message, so that ``status/`` shows every failure with its stage wherever it
happened. Rows older than ``RECENT`` are not shown (a plugin fixed since drops out).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from plughost.db.models import RuntimeFailure
from plughost.runtime.recent import Recent

logger = logging.getLogger(__name__)

EVENT = "event"
URL = "url"
RECENT = timedelta(hours=24)
MAX_MESSAGE_LENGTH = 2000
READ_SECONDS = 1.0


def record_runtime_failure(key: str, stage: str, message: str) -> None:
    """Count one failure of plugin ``key`` at ``stage``; never raises (it is a report)."""
    where = {"key": key[:255], "stage": stage[:40]}
    fields: dict[str, Any] = {"message": message[:MAX_MESSAGE_LENGTH], "last": timezone.now()}
    rows = RuntimeFailure.objects.filter(**where)
    try:
        with transaction.atomic():
            if not rows.update(count=F("count") + 1, **fields):
                RuntimeFailure.objects.create(count=1, **where, **fields)
    except IntegrityError:  # another process created the row meanwhile: count on it
        rows.update(count=F("count") + 1, **fields)
    except DatabaseError:
        logger.exception("could not record the failure of plugin %s at %s", key, stage)


def recent_runtime_failures() -> list[dict[str, Any]]:
    """Return the failures of the last ``RECENT``, newest first (read at most once a second)."""
    return _recent.get()


def forget_recent() -> None:
    """Read the failures afresh next time (tests)."""
    _recent.forget()


def _read_recent() -> list[dict[str, Any]]:
    since = timezone.now() - RECENT
    return [
        {
            "stage": row.stage,
            "name": row.key,
            "message": row.message,
            "count": row.count,
            "last": row.last.isoformat(),
        }
        for row in RuntimeFailure.objects.filter(last__gte=since)
    ]


_recent = Recent(_read_recent, seconds=READ_SECONDS)
