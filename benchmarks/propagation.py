"""Propagation: from a change answered by one process to its effect in every other.

A change is written through one server (activating or deactivating the ``sample`` plugin,
or switching the host's ``ENABLE_PLUGINS_URL``); then every server is probed on fresh
connections (so gunicorn hands them to any worker) until ``AGREEING_PROBES`` probes in a
row of each server show the new state. The time from the write's answer to that point is
one sample. Configurations: one SQLite server with 2 workers, and two nodes (2 workers
each) sharing one PostgreSQL database when PostgreSQL is reachable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks import stats
from benchmarks.servers import Server, ServerSpec, database_for, request, run_server

AGREEING_PROBES = 6
GIVE_UP_SECONDS = 10.0
Log = Callable[[str], None]
Step = tuple[str, dict[str, object], bool]

STEPS: tuple[Step, ...] = (
    ("/api/plugins/sample/activate/", {"active": True}, True),
    ("/api/plugins/plughost/settings/ENABLE_PLUGINS_URL/", {"value": False}, False),
    ("/api/plugins/plughost/settings/ENABLE_PLUGINS_URL/", {"value": True}, True),
    ("/api/plugins/sample/activate/", {"active": False}, False),
)


def _serves(server: Server) -> bool:
    status, _ = request(server.port, "GET", "/plugin/sample/hi/", token=server.token, timeout=10)
    return status == 200


def _agreed_after(servers: Sequence[Server], serving: bool) -> float:
    started = time.monotonic()
    streak = 0
    while time.monotonic() - started < GIVE_UP_SECONDS:
        if all(_serves(server) is serving for server in servers):
            streak += 1
            if streak >= AGREEING_PROBES:
                return time.monotonic() - started
        else:
            streak = 0
    return float("inf")


def measure(servers: Sequence[Server], changes: int) -> dict[str, Any]:
    """Make ``changes`` changes through the servers in turn; summarise the agreement times."""
    seconds: list[float] = []
    failures = 0
    for index in range(changes):
        writer = servers[index % len(servers)]
        path, body, serving = STEPS[index % len(STEPS)]
        status, answer = request(writer.port, "PATCH", path, body=body, token=writer.token)
        if status != 200:
            raise RuntimeError(f"PATCH {path} answered {status}: {answer}")
        elapsed = _agreed_after(servers, serving)
        if elapsed == float("inf"):
            failures += 1
        else:
            seconds.append(elapsed)
    milliseconds = [value * 1000 for value in seconds]
    return {
        "changes": changes,
        "not_agreed_within_s": {"limit": GIVE_UP_SECONDS, "count": failures},
        "median_ms": round(stats.median(milliseconds), 1) if milliseconds else None,
        "p90_ms": round(stats.percentile(milliseconds, 90), 1) if milliseconds else None,
        "worst_ms": round(max(milliseconds), 1) if milliseconds else None,
    }


def run_propagation(root: Path, log: Log, *, changes: int, postgres: bool) -> list[dict[str, Any]]:
    """Measure one SQLite server with 2 workers, and two PostgreSQL nodes when reachable."""
    environment = {"PLUGHOST_SAMPLE_PLUGINS": "1"}
    results: list[dict[str, Any]] = []
    configurations = [("sqlite", 1)] + ([("postgresql", 2)] if postgres else [])
    for database, nodes in configurations:
        log(f"propagation: {database}, {nodes} node(s) x 2 workers, {changes} changes")
        spec = ServerSpec(database=database, workers=2, env=environment)
        with ExitStack() as stack:
            url = stack.enter_context(database_for(database, "propagation"))
            servers = [
                stack.enter_context(
                    run_server(
                        root / f"propagation-{database}-{node}" / "data", spec, database_url=url
                    )
                )
                for node in range(nodes)
            ]
            summary = measure(servers, changes)
        results.append({"database": database, "nodes": nodes, "workers": 2, **summary})
    return results
