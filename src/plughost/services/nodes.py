"""Each server process reports what it has loaded; ``status/`` shows every node's report.

A node is one data dir (one machine or container); its processes share its node id, which
is kept in ``<data dir>/node_id``. A process that stops reporting is shown as stale.
"""

from __future__ import annotations

import enum
import importlib.metadata
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_q.models import OrmQ

from plughost.core.discovery import ENTRY_POINT_GROUP
from plughost.core.files import create_once
from plughost.db.models import NodeProcess
from plughost.runtime import holder
from plughost.runtime.recent import Recent

STALE_AFTER = timedelta(seconds=30)
HEARTBEAT_SECONDS = 5.0
FORGET_AFTER = timedelta(days=1)
NODE_ID_FILE = "node_id"


def node_id() -> str:
    """Return this node's id, creating it on first use (``PLUGHOST_NODE_ID`` overrides)."""
    configured = settings.PLUGHOST_NODE_ID
    if configured:
        return str(configured)
    path = Path(settings.PLUGHOST_DATA_DIR) / NODE_ID_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:  # the first process of this node; its workers may race
        return create_once(path, f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}")


def plugin_packages() -> dict[str, str]:
    """Return the installed distributions that provide plugins, with their versions.

    Scanning the entry points costs milliseconds of a process that is serving requests (a
    heartbeat every 5 s, a report after every install anywhere): it is done again only when
    this process rediscovered plugins (a new discovery result) since the last scan.
    """
    global _packages  # noqa: PLW0603 - one process-wide memo, replaced whole
    discovery = holder.snapshot.discovery
    memo = _packages
    if memo is not None and discovery is not None and memo[0] is discovery:
        return dict(memo[1])
    found: dict[str, str] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        if dist is not None:
            found[dist.name] = dist.version
    packages = dict(sorted(found.items()))
    _packages = (discovery, packages) if discovery is not None else None
    return dict(packages)


_packages: tuple[object, dict[str, str]] | None = None


@dataclass(frozen=True)
class ReconcileOutcome:
    """The result of a node's last attempt to match the desired set of packages."""

    ok: bool
    message: str


class Role(enum.Enum):
    """What a reporting process does."""

    SERVER = "server"  # answers HTTP (a gunicorn worker)
    WORKER = "worker"  # runs tasks (``plughost worker``)


def report(
    registry_version: int,
    *,
    reconcile: ReconcileOutcome | None = None,
    role: Role = Role.SERVER,
) -> None:
    """Record this process's heartbeat and what it has loaded; forget long-dead processes."""
    now = timezone.now()
    values: dict[str, Any] = {
        "role": role.value,
        "hostname": socket.gethostname(),
        "registry_version": registry_version,
        "packages": plugin_packages(),
        "heartbeat": now,
    }
    if reconcile is not None:
        values.update(
            reconcile_ok=reconcile.ok, reconcile_result=reconcile.message[:2000], reconciled=now
        )
    NodeProcess.objects.update_or_create(node=node_id(), pid=os.getpid(), defaults=values)
    NodeProcess.objects.filter(heartbeat__lt=now - FORGET_AFTER).delete()


def node_reports() -> list[dict[str, Any]]:
    """Return every process's last report, marked stale when its heartbeat is old."""
    now = timezone.now()
    return [
        {
            "node": row.node,
            "pid": row.pid,
            "role": row.role,
            "hostname": row.hostname,
            "registry_version": row.registry_version,
            "packages": row.packages,
            "last_reconcile": None
            if row.reconciled is None
            else {
                "ok": row.reconcile_ok,
                "result": row.reconcile_result,
                "at": row.reconciled.isoformat(),
            },
            "heartbeat": row.heartbeat.isoformat(),
            "stale": now - row.heartbeat > STALE_AFTER,
        }
        for row in NodeProcess.objects.all()
    ]


@dataclass(frozen=True)
class WorkerState:
    """What ``GET /api/`` says of the task workers."""

    running: bool
    pending_tasks: int


WORKER_STATE_SECONDS = 1.0


def worker_state() -> WorkerState:
    """Return whether a worker runs and how many tasks wait, read at most once a second.

    Every client asks ``GET /api/`` when it connects, and the two queries cost more than
    the rest of the answer; the figures move with heartbeats 5 s apart, so a second old
    is as good as new.
    """
    return _worker_state.get()


def recent_reports() -> list[dict[str, Any]]:
    """Return :func:`node_reports`, read at most once a second (``status/``).

    Reports come with heartbeats 5 s apart; a second-old list is as good as new.
    """
    return _reports.get()


def forget_worker_state() -> None:
    """Read the worker state and the node reports afresh next time (tests)."""
    _worker_state.forget()
    _reports.forget()


def worker_running() -> bool:
    """Return whether a task worker reported within the staleness window."""
    since = timezone.now() - STALE_AFTER
    return NodeProcess.objects.filter(role=Role.WORKER.value, heartbeat__gte=since).exists()


def pending_tasks() -> int:
    """Return how many tasks wait in the queue (django-q's database broker)."""
    return int(OrmQ.objects.count())


_worker_state = Recent(
    lambda: WorkerState(running=worker_running(), pending_tasks=pending_tasks()),
    seconds=WORKER_STATE_SECONDS,
)
_reports = Recent(node_reports, seconds=WORKER_STATE_SECONDS)
