"""Helpers to watch several server processes converge on a change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import requests

from tests.e2e.servers import Server

Probe = Callable[[Server], bool]


def fresh_get(server: Server, path: str, token: str) -> requests.Response:
    """GET on a new connection, so gunicorn may hand it to any worker."""
    return requests.get(
        server.url(path),
        headers={"Authorization": f"Token {token}", "Connection": "close"},
        timeout=10,
    )


def token_of(server: Server) -> str:
    response = requests.get(server.url("/api/user/token/"), auth=server.admin_auth, timeout=10)
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def wait_for_agreement(
    servers: Sequence[Server], probe: Probe, *, samples: int, timeout: float
) -> float:
    """Return the seconds until every server agreed, confirmed by ``samples`` probes in a row.

    The figure is when the unbroken run of agreeing probes began, not when it was confirmed:
    each probe is a request of its own (tens of milliseconds on a loaded 2-core machine), and
    confirming is the test's cost, not the server's. The run must also last ``HOLD_SECONDS``:
    a quick run of probes may all reach the same worker of a server, and a worker still
    behind answers within that time. ``inf`` when no run completes in time.
    """
    start = time.monotonic()
    streak = 0
    streak_began = start
    while time.monotonic() - start < timeout:
        asked = time.monotonic()
        if all(probe(server) for server in servers):
            if streak == 0:
                streak_began = asked
            streak += 1
            if streak >= samples and time.monotonic() - streak_began >= HOLD_SECONDS:
                return streak_began - start
        else:
            streak = 0
    return float("inf")


HOLD_SECONDS = 0.5
"""Longer than a SQLite watcher's poll (250 ms) plus a rebuild."""


@dataclass
class Traffic:
    """Background readers that record every failed request while changes happen."""

    servers: Sequence[Server]
    token: str
    paths: Sequence[str]
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Traffic:
        for server in self.servers:
            thread = threading.Thread(target=self._read, args=(server,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _read(self, server: Server) -> None:
        while not self._stop.is_set():
            for path in self.paths:
                try:
                    status = fresh_get(server, path, self.token).status_code
                except requests.RequestException as exc:
                    self.failures.append(f"{server.base_url}{path}: {exc}")
                    continue
                self.sent += 1
                if status != 200:
                    self.failures.append(f"{server.base_url}{path}: {status}")
