"""``plughost worker``: run the task queue (django-q2's cluster) and the plugin schedules.

The cluster's worker processes run plugin tasks, event deliveries and notifications from the
database queue. This process also runs django-q's scheduler every
``PLUGHOST_SCHEDULE_INTERVAL`` seconds (django-q's own loop runs it every 30): it locks the
due schedules in the database, so with any number of workers on any number of nodes each
scheduled run is queued once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from django.conf import settings
from django.db import connections

TICK_SECONDS = 1.0
WORKER_PID_VARIABLE = "PLUGHOST_WORKER_PID"


def run_worker(*, parent_pid: int | None = None) -> None:
    """Run until SIGTERM or SIGINT (or until process ``parent_pid`` is gone, when given).

    Call after ``django.setup()``; the database must be migrated (``plughost serve`` does it).
    """
    # Imported here, not at the top: these modules need Django set up, which main() does
    # after parsing the command line (django-q's modules even set it up when imported).
    from django_q.cluster import Cluster  # noqa: PLC0415
    from django_q.scheduler import scheduler  # noqa: PLC0415

    from plughost.services import nodes  # noqa: PLC0415
    from plughost.services.registry import current_registry  # noqa: PLC0415

    current_registry()  # builds the registry, which syncs the plugin schedules
    connections.close_all()  # the cluster forks: each process opens its own connections
    cluster = Cluster()  # stops itself on SIGTERM and SIGINT
    cluster.start()
    print(f"plughost worker: {settings.Q_CLUSTER['workers']} task processes", flush=True)
    due = 0.0
    beat = 0.0
    while cluster.sentinel.is_alive():
        if time.monotonic() >= beat:  # /api/ reports worker_running from this
            nodes.report(current_registry().version, role=nodes.Role.WORKER)
            beat = time.monotonic() + nodes.HEARTBEAT_SECONDS
        if parent_pid is not None and os.getppid() != parent_pid:
            print("plughost worker: the server is gone; stopping", flush=True)
            cluster.stop()
            break
        if time.monotonic() >= due:
            scheduler()
            due = time.monotonic() + float(settings.PLUGHOST_SCHEDULE_INTERVAL)
        cluster.sentinel.join(TICK_SECONDS)


def start_worker_beside_server() -> int:
    """Start ``plughost worker`` as a child that stops when this process (the server) ends.

    Returns its pid, also left in ``PLUGHOST_WORKER_PID`` for gunicorn's exit hook.
    """
    command = [
        sys.executable,
        "-m",
        "plughost.cli.main",
        "worker",
        "--parent-pid",
        str(os.getpid()),
    ]
    # Its own session: the server's exit hook stops the whole group (cluster processes too).
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    os.environ[WORKER_PID_VARIABLE] = str(child.pid)
    return child.pid
