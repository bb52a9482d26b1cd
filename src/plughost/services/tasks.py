"""The functions the task worker runs: plugin tasks, event and notification deliveries.

django-q imports them by name (``plughost.services.tasks.<function>``) in its worker
processes. Each finds its plugin in the worker's current registry, so a deactivation or a
reload is honoured by the next run. A failure is logged and re-raised, so django-q records
the run as failed; a run longer than ``PLUGHOST_TASK_TIMEOUT`` is stopped and recorded alike.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django_q.exceptions import TimeoutException
from django_q.signals import pre_execute

from plughost.core.errors import MixinImplementationError, PluginNotFoundError
from plughost.core.mixins import EventMixin, ScheduleMixin
from plughost.core.schedules import TaskSpec, parse_scheduled_tasks
from plughost.plugins.builtin.core_notifications import InvenTreeCoreNotificationsPlugin
from plughost.services import events
from plughost.services.host import host
from plughost.services.notifications import DEFAULT_CATEGORY, Notifier
from plughost.services.registry import current_registry
from plughost.services.switches import ENABLE_PLUGINS_EVENTS, ENABLE_PLUGINS_SCHEDULE, is_switch_on

logger = logging.getLogger(__name__)

MAX_RESULT_LENGTH = 2000


def _mark_start(sender: object, task: dict[str, Any], **kwargs: object) -> None:
    # django-q stamps "started" when a task is queued; restamp it when the worker starts it,
    # so that a run's duration is its own, without the wait in the queue.
    del sender, kwargs
    task["started"] = timezone.now()


pre_execute.connect(_mark_start, dispatch_uid="plughost.tasks.mark_start")


def run_plugin_task(key: str, task: str) -> object:
    """Run task ``task`` of plugin ``key`` (the target of every plugin schedule).

    Skipped (and said so in the result) while ``ENABLE_PLUGINS_SCHEDULE`` is off. Raises
    PluginNotFoundError when the plugin is not loaded here, MixinImplementationError when it
    no longer declares the task or its function cannot be found, and whatever the task raises.
    """
    registry = current_registry()
    if not is_switch_on(registry, ENABLE_PLUGINS_SCHEDULE):
        return "skipped: ENABLE_PLUGINS_SCHEDULE is off"
    plugin = registry.find_plugin(key)
    if not isinstance(plugin, ScheduleMixin):
        if not host.is_active(key):
            return f"skipped: plugin '{key}' is not active"
        raise PluginNotFoundError(_not_loaded(key, f"task '{task}' did not run"), key=key)
    specs = {spec.task: spec for spec in parse_scheduled_tasks(key, plugin.get_scheduled_tasks())}
    spec = specs.get(task)
    if spec is None:
        raise MixinImplementationError(f"Plugin '{key}' no longer declares task '{task}'", key=key)
    function = _task_function(plugin, spec)
    try:
        result = function()
    except (Exception, TimeoutException):
        logger.exception("task %s of plugin %s failed", task, key)
        raise
    return _plain_result(result)


def _task_function(plugin: ScheduleMixin, spec: TaskSpec) -> Callable[[], object]:
    """Return the plugin's method (bare name) or the module function (dotted name)."""
    if spec.is_member:
        method = _as_callable(getattr(plugin, spec.func, None))
        if method is None:
            raise MixinImplementationError(
                f"Task '{spec.task}': plugin '{spec.key}' has no method '{spec.func}'",
                key=spec.key,
            )
        return method
    module_name, _, name = spec.func.rpartition(".")
    try:
        function = _as_callable(getattr(importlib.import_module(module_name), name))
    except (ImportError, AttributeError) as exc:
        raise MixinImplementationError(
            f"Task '{spec.task}': cannot import '{spec.func}': {exc}", key=spec.key
        ) from exc
    if function is None:
        raise MixinImplementationError(
            f"Task '{spec.task}': '{spec.func}' is not callable", key=spec.key
        )
    return function


def _as_callable(value: object) -> Callable[[], object] | None:
    return value if callable(value) else None


def deliver_event(key: str, event: str, data: dict[str, Any]) -> str:
    """Hand ``event`` to plugin ``key`` if it is still loaded and wants it; count the outcome."""
    registry = current_registry()
    if not is_switch_on(registry, ENABLE_PLUGINS_EVENTS):
        return "skipped: ENABLE_PLUGINS_EVENTS is off"
    plugin = registry.find_plugin(key)
    if not isinstance(plugin, EventMixin):
        if not host.is_active(key):
            return f"skipped: plugin '{key}' is not active"
        error = PluginNotFoundError(_not_loaded(key, f"event '{event}' not delivered"), key=key)
        events.record_failure(key, event, _describe(error))
        raise error
    try:
        if not plugin.wants_process_event(event):
            return "skipped: not wanted"
        plugin.process_event(event, **data)
    except (Exception, TimeoutException) as exc:
        logger.exception("plugin %s failed to process event %s", key, event)
        events.record_failure(key, event, _describe(exc))
        raise
    events.record_delivery(key, event)
    return "delivered"


def deliver_notification(key: str, subject: str, message: str, context: dict[str, Any]) -> str:
    """Hand a notification to plugin ``key``; raise what the plugin raises."""
    registry = current_registry()
    plugin = registry.find_plugin(key)
    if not isinstance(plugin, Notifier):
        return f"skipped: plugin '{key}' is not loaded here"
    try:
        if isinstance(plugin, InvenTreeCoreNotificationsPlugin):
            sent = plugin.send_notification(subject, message, **context)
        else:
            category = str(context.get("category") or DEFAULT_CATEGORY)
            body = {**context, "name": subject, "message": message}
            sent = plugin.send_notification(None, category, staff_users(), body)
    except (Exception, TimeoutException):
        logger.exception("plugin %s failed to send notification %r", key, subject)
        raise
    return "sent" if sent else "not sent: no method of this plugin is switched on"


def staff_users() -> list[Any]:
    """Return the active staff users (who a notification plugin should tell)."""
    users: Any = get_user_model().objects
    return list(users.filter(Q(is_staff=True) | Q(is_superuser=True), is_active=True))


def _not_loaded(key: str, consequence: str) -> str:
    return (
        f"Plugin '{key}' is active but not loaded on this worker (it failed to load; "
        f"see /api/plugins/status/): {consequence}"
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _plain_result(value: object) -> object:
    """Return a task's result as django-q can store it: JSON-like, or its text."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)[:MAX_RESULT_LENGTH]
    return value
