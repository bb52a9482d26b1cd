"""Keep a server process's registry current in the background.

One daemon thread per process: on PostgreSQL it LISTENs for the NOTIFY that every state
change sends (with a periodic check as fallback); on SQLite it polls the stored versions,
a single-row read, every ``POLL_SECONDS``. When the versions moved it rebuilds once while
requests go on being served from the old snapshot, then swaps. It also sends the process's
heartbeat. Started by the server (gunicorn's worker hook), never by tests or commands.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import psycopg
from django.conf import settings
from django.db import close_old_connections, connection

from plughost.runtime import holder
from plughost.services import nodes
from plughost.services.notifications import notify_node_out_of_sync
from plughost.services.reconcile import reconcile_node
from plughost.services.registry import current_registry, ensure_current
from plughost.services.state import CHANNEL, read_versions

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
FALLBACK_SECONDS = 2.0

_started_in: int | None = None
_start_lock = threading.Lock()


def start_watcher() -> bool:
    """Start this process's watcher once (again after a fork); return whether it started."""
    global _started_in  # noqa: PLW0603 - one watcher per process, keyed by pid
    with _start_lock:
        if _started_in == os.getpid():
            return False
        _started_in = os.getpid()
    thread = threading.Thread(target=_run, name="plughost-registry-watcher", daemon=True)
    thread.start()
    return True


def _run() -> None:
    try:
        current_registry()  # the first build, before requests need it
    except Exception:
        logger.exception("the first registry build failed; retrying in the background")
    holder.watched = True
    if connection.vendor == "postgresql":
        _listen_loop()
    else:
        _poll_loop(POLL_SECONDS)


def _tick(state: dict[str, float | int]) -> None:
    """Reconcile packages when the installed set changed; catch up; send a heartbeat."""
    try:
        if "heartbeat" not in state:  # be listed before a long first reconcile
            nodes.report(holder.snapshot.version)
            state["heartbeat"] = time.monotonic()
        ensure_current()  # first: what this node has already (e.g. installed here) shows at once
        outcome = None
        collect_version = read_versions().collect_version
        if state.get("reconciled") != collect_version:
            outcome = reconcile_node()  # also at start: a node started after an install
            state["reconciled"] = collect_version
            if not outcome.ok:
                logger.warning("this node is out of step: %s", outcome.message)
                notify_node_out_of_sync(nodes.node_id(), outcome.message)
        now = time.monotonic()
        if outcome is not None or now - state.get("heartbeat", 0.0) >= nodes.HEARTBEAT_SECONDS:
            nodes.report(holder.snapshot.version, reconcile=outcome)
            state["heartbeat"] = now
    except Exception:
        logger.exception("checking the registry version failed; will retry")
    finally:
        close_old_connections()


def _poll_loop(interval: float) -> None:
    state: dict[str, float | int] = {}
    while True:
        _tick(state)
        time.sleep(interval)


def _listen_loop() -> None:
    """Wait for NOTIFY on a connection of its own; poll while it cannot connect."""
    state: dict[str, float | int] = {}
    params = settings.DATABASES["default"]
    while True:
        try:
            with psycopg.connect(
                host=params.get("HOST") or None,
                port=params.get("PORT") or None,
                dbname=params["NAME"],
                user=params.get("USER") or None,
                password=params.get("PASSWORD") or None,
                autocommit=True,
            ) as listener:
                listener.execute(f"LISTEN {CHANNEL}")
                while True:
                    _tick(state)
                    for _ in listener.notifies(timeout=FALLBACK_SECONDS, stop_after=1):
                        pass
        except Exception:
            logger.exception("listening for registry changes failed; polling until it works")
            deadline = time.monotonic() + FALLBACK_SECONDS * 5
            while time.monotonic() < deadline:
                _tick(state)
                time.sleep(POLL_SECONDS)
