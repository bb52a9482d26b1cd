"""The load driver: one keep-alive HTTP connection, in its own process.

Run as ``python -m benchmarks.client HOST PORT``. It reads one JSON case per line on stdin,
sends the case's requests one after another on a persistent ``http.client`` connection
(warm-up first, unmeasured), and answers one JSON line on stdout::

    in:  {"method": "GET", "path": "/api/plugins/", "headers": {...},
          "bodies": [null], "warmup": 50, "count": 500, "expect": [200]}
    out: {"latencies_ms": [...], "start": <monotonic s>, "end": <monotonic s>, "error": null,
          "local_port": <the connection's own port>}

Bodies are used in turn (request i sends ``bodies[i % len(bodies)]``), which is how a PATCH
alternates between two values. The first answer with an unexpected status stops the case and
is reported in ``error``. ``"reconnect": true`` opens a new connection first (the driver
uses it to put each connection on a worker of its own). ``start``/``end`` come from the
system-wide monotonic clock, so the parent can combine several clients' wall times. The
process ends at the end of its input.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from typing import Any

RECONNECT_ERRORS = (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine)


class Connection:
    """A persistent connection that reconnects once when the server closed it while idle."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._connection = http.client.HTTPConnection(host, port, timeout=120)

    def request(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """Send one request and read the whole answer; return ``(status, body)``."""
        for attempt in (1, 2):
            try:
                self._connection.request(method, path, body=body, headers=headers)
                response = self._connection.getresponse()
                return response.status, response.read()
            except RECONNECT_ERRORS:
                self._connection.close()
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def reconnect(self) -> None:
        """Drop the connection; the next request opens a new one (maybe to another worker)."""
        self._connection.close()
        self._connection = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def local_port(self) -> int:
        """The connection's own port (0 when it is closed): tells which worker serves it."""
        sock = self._connection.sock
        return int(sock.getsockname()[1]) if sock is not None else 0


def run_case(connection: Connection, case: dict[str, Any]) -> dict[str, Any]:
    """Run one case; return its latencies (ms) and wall-clock interval."""
    method: str = case["method"]
    path: str = case["path"]
    headers: dict[str, str] = dict(case.get("headers") or {})
    bodies: list[str | None] = case.get("bodies") or [None]
    expect = set(case.get("expect") or [200])
    warmup = int(case.get("warmup", 0))
    count = int(case["count"])
    latencies: list[float] = []
    clock = time.perf_counter
    if case.get("reconnect"):
        connection.reconnect()
    for index in range(warmup):
        status, data = connection.request(
            method, _nth(path, index), bodies[index % len(bodies)], headers
        )
        if status not in expect:
            return _failure(method, path, status, data)
    start = time.monotonic()
    for index in range(count):
        body = bodies[(warmup + index) % len(bodies)]
        target = _nth(path, warmup + index)
        began = clock()
        status, data = connection.request(method, target, body, headers)
        latencies.append((clock() - began) * 1000)
        if status not in expect:
            return _failure(method, path, status, data)
    end = time.monotonic()
    return {
        "latencies_ms": latencies,
        "start": start,
        "end": end,
        "error": None,
        "local_port": connection.local_port(),
    }


def _nth(path: str, index: int) -> str:
    """``path`` with ``{n}`` made unique to this request (defeats caches of repeated queries)."""
    if "{n}" not in path:
        return path
    return path.replace("{n}", f"{os.getpid()}x{index}x{time.monotonic_ns() % 1_000_000}")


def _failure(method: str, path: str, status: int, data: bytes) -> dict[str, Any]:
    text = data[:500].decode("utf-8", errors="replace")
    return {"latencies_ms": [], "start": 0, "end": 0, "error": f"{method} {path}: {status} {text}"}


def main(argv: list[str]) -> int:
    """Serve cases from stdin until it closes."""
    host, port = argv[0], int(argv[1])
    connection = Connection(host, port)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            result = run_case(connection, json.loads(line))
        except (OSError, http.client.HTTPException) as exc:
            result = {
                "latencies_ms": [],
                "start": 0,
                "end": 0,
                "error": f"{type(exc).__name__}: {exc}",
            }
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
