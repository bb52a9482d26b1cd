"""Plugin events: queue them for the task worker, one task per event plugin, and count results.

``trigger_event`` is InvenTree's: when the host switch ``ENABLE_PLUGINS_EVENTS`` is on, it
queues one delivery per active ``EventMixin`` plugin and returns at once. The worker asks each
plugin ``wants_process_event`` and calls ``process_event`` (``plughost.services.tasks``), so a
plugin that raises or hangs delays nobody: not the caller, not the other plugins. Deliveries
and failures are counted per plugin (``EventDeliveryStats``).

Events the host emits (keyword data in braces; setting values are never sent, they may be
protected)::

    plugins_loaded          the registry was reloaded: reload/, install, uninstall   {}
    plugin.activated        a plugin was activated                                    {key}
    plugin.deactivated      a plugin was deactivated                                  {key}
    plugin.installed        a plugin package was installed                  {package, plugins}
    plugin.uninstalled      a plugin package was uninstalled                     {package, key}
    plugin_setting.saved    a plugin setting was changed                       {plugin, setting}

Any other name can be posted to ``POST /api/plugins/events/``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from plughost.core.mixins import EventMixin
from plughost.core.registry import Registry
from plughost.db.models import EventDeliveryStats
from plughost.runtime import holder
from plughost.services.failures import EVENT as EVENT_STAGE
from plughost.services.failures import record_runtime_failure
from plughost.services.switches import ENABLE_PLUGINS_EVENTS, is_switch_on

logger = logging.getLogger(__name__)

PLUGINS_LOADED = "plugins_loaded"
PLUGIN_ACTIVATED = "plugin.activated"
PLUGIN_DEACTIVATED = "plugin.deactivated"
PLUGIN_INSTALLED = "plugin.installed"
PLUGIN_UNINSTALLED = "plugin.uninstalled"
PLUGIN_SETTING_SAVED = "plugin_setting.saved"

MAX_EVENT_NAME_LENGTH = 100
EVENT_NAME = re.compile(r"[\w.]+", re.ASCII)
DELIVER_TASK = "plughost.services.tasks.deliver_event"
MAX_ERROR_LENGTH = 2000


def is_valid_event_name(event: str) -> bool:
    """Return whether ``event`` is letters, digits, ``_`` and dots, at most 100 characters."""
    return len(event) <= MAX_EVENT_NAME_LENGTH and EVENT_NAME.fullmatch(event) is not None


def event_group(key: str) -> str:
    """Return the task group of deliveries to plugin ``key`` (django-q keeps results by group)."""
    return f"event.{key}"


@dataclass(frozen=True)
class QueuedEvent:
    """What ``trigger_event`` did: the event, its data and the plugins it was queued for."""

    event: str
    data: dict[str, Any]
    plugins: list[str] = field(default_factory=list)
    enabled: bool = True  # False: ENABLE_PLUGINS_EVENTS is off and nothing was queued


def queue_event(registry: Registry, event: str, data: dict[str, Any]) -> QueuedEvent:
    """Queue ``event`` for every active event plugin of ``registry``.

    Raises ValueError for a malformed event name, and the database's error when the queue
    cannot be written.
    """
    if not is_valid_event_name(event):
        raise ValueError(f"Event name {event!r} must be letters, digits, '_' and '.' (≤100)")
    plain = _plain(data)
    if not is_switch_on(registry, ENABLE_PLUGINS_EVENTS):
        return QueuedEvent(event=event, data=plain, enabled=False)
    keys = [
        plugin.slug for plugin in registry.with_mixin("events") if isinstance(plugin, EventMixin)
    ]
    if not keys:
        return QueuedEvent(event=event, data=plain, plugins=keys)
    with transaction.atomic():  # all or none of the deliveries
        for key in keys:
            async_task(
                DELIVER_TASK,
                key,
                event,
                plain,
                q_options={"group": event_group(key), "task_name": f"{event} to {key}"[:100]},
            )
    return QueuedEvent(event=event, data=plain, plugins=keys)


def trigger_event(event: str, **kwargs: Any) -> QueuedEvent:
    """Queue ``event`` with ``kwargs`` for the active event plugins, as InvenTree's does.

    The host calls this after its own state changes; the change has happened, so a queue
    that cannot be written is logged rather than raised.
    """
    try:
        return queue_event(holder.current(), event, kwargs)
    except DatabaseError:
        logger.exception("could not queue event %s", event)
        return QueuedEvent(event=event, data={}, enabled=False)


def record_delivery(key: str, event: str) -> None:
    """Count one successful delivery of ``event`` to plugin ``key``."""
    _bump(
        key,
        delivered=F("delivered") + 1,
        last_event=event[:MAX_EVENT_NAME_LENGTH],
        last_delivered=timezone.now(),
    )


def record_failure(key: str, event: str, error: str) -> None:
    """Count one failed delivery of ``event`` to plugin ``key``, keeping the error."""
    record_runtime_failure(key, EVENT_STAGE, f"{event}: {error}")
    _bump(
        key,
        failed=F("failed") + 1,
        last_event=event[:MAX_EVENT_NAME_LENGTH],
        last_failed=timezone.now(),
        last_error=error[:MAX_ERROR_LENGTH],
    )


def list_delivery_stats() -> QuerySet[EventDeliveryStats]:
    """Return the delivery counts of every plugin that has been handed an event."""
    return EventDeliveryStats.objects.order_by("key")


def _bump(key: str, **changes: Any) -> None:
    with transaction.atomic():
        if not EventDeliveryStats.objects.filter(key=key).update(**changes):
            EventDeliveryStats.objects.get_or_create(key=key)
            EventDeliveryStats.objects.filter(key=key).update(**changes)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` as JSON would carry it (what the worker and the API can hold)."""
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain
