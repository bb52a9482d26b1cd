"""Keep a server process's registry current in the background.

One daemon thread per process: on PostgreSQL it LISTENs for the NOTIFY that every state
change sends, which carries the new versions, so a change costs a watcher no query unless it
must rebuild (with a periodic read as fallback), and for the NOTIFY a trigger sends for
every metadata change, which keeps ``metadata_cache`` on while it listens; on SQLite it
polls the stored versions, a single-row read, every ``POLL_SECONDS``. When the versions
moved it rebuilds once while requests go on being served from the old snapshot, then
swaps. It also sends the process's heartbeat. Started by the server (gunicorn's worker
hook), never by tests or commands.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db import close_old_connections, connection

from plughost.runtime import holder, metadata_cache
from plughost.services import nodes
from plughost.services.notifications import notify_node_out_of_sync
from plughost.services.reconcile import reconcile_node
from plughost.services.registry import current_registry, ensure_current
from plughost.services.state import (
    CHANNEL,
    METADATA_CHANNEL,
    Notice,
    parse_payload,
    read_versions,
)

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
FALLBACK_SECONDS = 2.0
LOCAL_WRITE_WAIT_SECONDS = 0.1
"""How long a watcher lets this process's own setting writes finish telling its cache."""
RECONCILE_SPACING_SECONDS = 1.0
LISTENER_KEEPALIVE_SECONDS = 5
BURST_SECONDS = 0.1
"""Notices that come within this of the last batch are a burst: gather before acting."""
SETTLE_SECONDS = 0.02
"""In a burst, how long a watcher gathers notices before it acts on them all at once."""

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


def _tick(state: dict[str, float | int], notified: list[Notice] | None = None) -> None:
    """Reconcile packages when the installed set changed; catch up; send a heartbeat.

    ``notified``: what the NOTIFYs since the last tick carried, in order; without them the
    stored versions are read, and the connection is checked (Django's
    ``close_old_connections``), as after any failure.
    """
    healthy = False
    try:
        if "heartbeat" not in state:  # be listed before a long first reconcile
            nodes.report(holder.snapshot.version)
            state["heartbeat"] = time.monotonic()
        # Its own writes' entries go into the cache before their notices are handled.
        holder.wait_for_local_writes(LOCAL_WRITE_WAIT_SECONDS)
        stored = notified[-1].versions if notified else read_versions()
        changed = {n.versions.settings_version: n.scope for n in notified or () if n.scope}
        # Every notice without a plugin's key moved ``version``: its flag, or None (read).
        known = {n.versions.version: n.configs for n in notified or () if n.scope is None}
        # First: what this node has already (e.g. installed here) shows at once.
        ensure_current(stored, notified=changed, known=known)
        outcome = None
        if state.get("reconciled") != stored.collect_version and _reconcile_due(state):
            outcome = reconcile_node()  # also at start: a node started after an install
            state["reconciled"] = stored.collect_version
            state["reconciled_at"] = time.monotonic()
            if not outcome.ok:
                logger.warning("this node is out of step: %s", outcome.message)
                notify_node_out_of_sync(nodes.node_id(), outcome.message)
        now = time.monotonic()
        if outcome is not None or now - state.get("heartbeat", 0.0) >= nodes.HEARTBEAT_SECONDS:
            nodes.report(holder.snapshot.version, reconcile=outcome)
            state["heartbeat"] = now
        healthy = notified is not None
    except Exception:
        logger.exception("checking the registry version failed; will retry")
    finally:
        if not healthy:
            close_old_connections()


def _reconcile_due(state: dict[str, float | int]) -> bool:
    """At most one reconcile (and its report, a write) per ``RECONCILE_SPACING_SECONDS``.

    A burst of collecting reloads or installs would otherwise cost every worker a
    reconcile and a report each; the next one waits, and the watcher wakes for it.
    """
    waited = time.monotonic() - state.get("reconciled_at", float("-inf"))
    if waited >= RECONCILE_SPACING_SECONDS:
        state.pop("wake_in", None)
        return True
    state["wake_in"] = RECONCILE_SPACING_SECONDS - waited
    return False


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
                # A peer gone silent fails the listener's queries in seconds, not minutes.
                keepalives_idle=LISTENER_KEEPALIVE_SECONDS,
                keepalives_interval=LISTENER_KEEPALIVE_SECONDS,
                keepalives_count=3,
                tcp_user_timeout=int(LISTENER_KEEPALIVE_SECONDS * 3 * 1000),
            ) as listener:
                listener.execute(f"LISTEN {CHANNEL}")
                listener.execute(f"LISTEN {METADATA_CHANNEL}")
                metadata_cache.enable()  # every metadata change is told from now on
                notified: list[Notice] | None = None
                last_batch = float("-inf")
                while True:
                    _tick(state, notified)
                    notified = _wait_for_change(
                        listener,
                        state.pop("wake_in", FALLBACK_SECONDS),
                        settle=_settle_time(last_batch, time.monotonic()),
                    )
                    if notified is None:
                        listener.execute("SELECT 1")  # a quiet listener must be a live one
                    else:
                        last_batch = time.monotonic()
        except Exception:
            metadata_cache.disable()  # changes meanwhile would go untold
            logger.exception("listening for registry changes failed; polling until it works")
            deadline = time.monotonic() + FALLBACK_SECONDS * 5
            while time.monotonic() < deadline:
                _tick(state)
                time.sleep(POLL_SECONDS)


def _settle_time(last_batch: float, now: float) -> float:
    """How long to gather notices after the next one: ``SETTLE_SECONDS`` in a burst (the
    last batch came within ``BURST_SECONDS``), else none: a change on its own is taken
    at once."""
    return SETTLE_SECONDS if now - last_batch < BURST_SECONDS else 0.0


def _wait_for_change(
    listener: psycopg.Connection[Any], timeout: float, *, settle: float = 0.0
) -> list[Notice] | None:
    """Wait up to ``timeout`` s for NOTIFYs of a version bump; return what they carried.

    Bumps are serialized by the row they update, so the last notification carries the
    newest versions. None after a quiet wait (or an unreadable payload): read them.
    Metadata notices are handled as they come (``metadata_cache``), and the wait goes on.

    ``settle``: after the first notice, gather the others that come within this many
    seconds, so a burst of changes (another worker's activations, say) costs one rebuild,
    not one each. A change on its own is acted on at once (``settle`` 0).
    """
    deadline = time.monotonic() + timeout
    notices: list[Notice | None] = []
    while not notices:
        arrived = list(listener.notifies(timeout=max(deadline - time.monotonic(), 0), stop_after=1))
        if not arrived:
            return None
        if settle:  # asleep, not woken by each one: a wake costs a busy worker the GIL
            time.sleep(settle)
        arrived += listener.notifies(timeout=0)  # the others, queued meanwhile
        notices = [parse_payload(n.payload) for n in arrived if not _took_metadata_notice(n)]
    if None in notices:
        return None
    return [notice for notice in notices if notice is not None]


def _took_metadata_notice(notify: psycopg.Notify) -> bool:
    """Whether ``notify`` was a metadata notice; if so, its plugin's metadata is forgotten."""
    if notify.channel != METADATA_CHANNEL:
        return False
    if notify.payload:
        metadata_cache.forget(notify.payload)
    else:  # a TRUNCATE: every plugin's
        metadata_cache.forget_all()
    return True
