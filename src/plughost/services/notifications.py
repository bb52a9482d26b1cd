"""The host's notifications: queued for the task worker, one task per notification plugin.

The builtin ``inventreecorenotificationsplugin`` sends them to staff by email and to a
Slack-style webhook when its settings say so; every active ``NotificationMixin`` plugin
receives them too. The host notifies when a plugin fails to load (new errors only: each is
sent once a day at most, whichever process sees it first), and install code notifies when
an install succeeds or fails and when a node is out of sync.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from plughost.core.definition import Stage
from plughost.core.mixins import NotificationMixin
from plughost.core.registry import Registry
from plughost.db.models import SentNotice
from plughost.plugins.builtin.core_notifications import InvenTreeCoreNotificationsPlugin
from plughost.runtime import holder

logger = logging.getLogger(__name__)

DELIVER_TASK = "plughost.services.tasks.deliver_notification"
RENOTIFY_AFTER = timedelta(hours=24)
FORGET_AFTER = timedelta(days=30)
MAX_SUBJECT_LENGTH = 200

Notifier = NotificationMixin | InvenTreeCoreNotificationsPlugin
#: The ``category`` NotificationMixin plugins get unless a notice names its own.
DEFAULT_CATEGORY = "plughost.notice"
NOTIFIED_STAGES = frozenset({Stage.DISCOVERY, Stage.INIT, Stage.READY})


def notification_plugins(registry: Registry) -> list[Notifier]:
    """Return the loaded plugins that receive notifications, the builtin one included."""
    return [plugin for plugin in registry.instances.values() if isinstance(plugin, Notifier)]


def notify(subject: str, message: str, **context: Any) -> list[str]:
    """Queue a notification for every notification plugin; return their keys.

    Never raises for a queue that cannot be written (the cause of the notice has happened
    already): that is logged.
    """
    registry = holder.current()
    keys = [plugin.slug for plugin in notification_plugins(registry)]
    plain = json.loads(json.dumps(context, default=str))
    try:
        with transaction.atomic():
            for key in keys:
                async_task(
                    DELIVER_TASK,
                    key,
                    subject[:MAX_SUBJECT_LENGTH],
                    message,
                    plain,
                    q_options={"group": f"notification.{key}", "task_name": subject[:100]},
                )
    except DatabaseError:
        logger.exception("could not queue notification %r", subject)
        return []
    return keys


def notify_once(fingerprint: str, subject: str, message: str, **context: Any) -> bool:
    """Notify unless any process sent ``fingerprint`` in the last day; return whether sent."""
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()
    now = timezone.now()
    with transaction.atomic():
        notice, created = SentNotice.objects.get_or_create(
            fingerprint=digest, defaults={"subject": subject[:MAX_SUBJECT_LENGTH], "sent": now}
        )
        if not created:
            claimed = SentNotice.objects.filter(pk=notice.pk, sent__lt=now - RENOTIFY_AFTER).update(
                sent=now
            )
            if not claimed:
                return False
        SentNotice.objects.filter(sent__lt=now - FORGET_AFTER).delete()
    notify(subject, message, **context)
    return True


def notify_new_errors(previous: Registry, current: Registry) -> int:
    """Notify each load failure of ``current`` that ``previous`` did not have; return how many.

    Load failures are the errors of plugin code that failed to import (discovery) or of an
    active plugin that failed to start (init, ready). Plugins refused for their key or
    version are not loaded by design: ``status/`` lists them, nobody is notified. Every
    process rebuilds its own registry; the stored fingerprint makes one of them send.
    """
    known = set(previous.errors)
    sent = 0
    for error in current.errors:
        if error in known or error.stage not in NOTIFIED_STAGES:
            continue
        subject = f"Plugin '{error.name}' failed to load"
        message = (
            f"Plugin '{error.name}' failed at the {error.stage.value} stage:\n{error.message}\n\n"
            "GET /api/plugins/status/ lists every plugin error."
        )
        fingerprint = f"registry-error|{error.stage.value}|{error.name}|{error.message}"
        try:
            if notify_once(
                fingerprint,
                subject,
                message,
                plugin=error.name,
                stage=error.stage.value,
                category="plughost.plugin_load_failed",
            ):
                sent += 1
        except DatabaseError:
            logger.exception("could not record the notice for %s", error.name)
    return sent


def notify_install_succeeded(package: str, version: str | None, plugins: list[str]) -> list[str]:
    """Notify that ``package`` was installed (call after the install committed)."""
    keys = ", ".join(plugins) or "none"
    return notify(
        f"Plugin package {package} installed",
        f"{package} {version or ''} was installed. Plugins it brought (inactive): {keys}.",
        package=package,
        version=version,
        plugins=plugins,
        category="plughost.install_succeeded",
    )


def notify_install_failed(target: str, reason: str) -> list[str]:
    """Notify that installing ``target`` failed (``reason``: the error, secrets masked)."""
    return notify(
        f"Plugin install of {target} failed",
        f"Installing {target} failed:\n{reason}",
        target=target,
        category="plughost.install_failed",
    )


def notify_node_out_of_sync(node: str, problem: str) -> bool:
    """Notify (once a day per node and problem) that a node's plugin packages differ."""
    return notify_once(
        f"node-out-of-sync|{node}|{problem}",
        f"Node {node} is out of sync",
        f"The plugin packages of node {node} differ from the desired set: {problem}",
        node=node,
        category="plughost.node_out_of_sync",
    )
