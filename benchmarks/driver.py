"""Drive a server with keep-alive clients in separate processes (``benchmarks.client``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.stats import Summary, summarize

REPO_ROOT = Path(__file__).resolve().parent.parent


class BenchmarkError(RuntimeError):
    """The server answered something the benchmark did not expect, or a client failed."""


@dataclass(frozen=True)
class Case:
    """One endpoint as the benchmark calls it."""

    name: str
    method: str
    path: str
    bodies: Sequence[Any | None] = (None,)
    expect: Sequence[int] = (200,)
    kind: str = "read"  # "read" or "write": which target applies (1.5x or 3x the floor)
    heavy: bool = False  # grows with the number of plugins: fewer requests, one warm-up

    def wire(self, token: str, *, warmup: int, count: int) -> dict[str, Any]:
        """Return the JSON command for a client."""
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        bodies = [None if body is None else json.dumps(body) for body in self.bodies]
        if any(body is not None for body in bodies):
            headers["Content-Type"] = "application/json"
        return {
            "method": self.method,
            "path": self.path,
            "headers": headers,
            "bodies": bodies,
            "warmup": warmup,
            "count": count,
            "expect": list(self.expect),
        }


@dataclass
class Samples:
    """Latencies of one case gathered over rounds, with the wall time they took."""

    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0

    def add(self, latencies_ms: Sequence[float], elapsed_s: float) -> None:
        """Add one round."""
        self.latencies_ms.extend(latencies_ms)
        self.elapsed_s += elapsed_s

    def summary(self) -> Summary:
        """Return the figures of every round together."""
        return summarize(self.latencies_ms, self.elapsed_s)


class Driver:
    """``connections`` client processes, each with one persistent connection to the server."""

    def __init__(self, processes: Sequence[subprocess.Popen[str]], token: str) -> None:
        self._processes = processes
        self.token = token
        self.local_ports: list[int] = []  # each connection's own port, after the last case

    def run(
        self, case: Case, *, warmup: int, count: int, reconnect: Collection[int] = ()
    ) -> tuple[list[float], float]:
        """Run ``count`` requests per connection; return all latencies and the wall time.

        ``reconnect``: the clients (by index) that open a new connection first. Raises
        ``BenchmarkError`` with the server's answer when a request fails.
        """
        wire = case.wire(self.token, warmup=warmup, count=count)
        for index, process in enumerate(self._processes):
            assert process.stdin is not None
            process.stdin.write(json.dumps({**wire, "reconnect": index in reconnect}) + "\n")
            process.stdin.flush()
        results: list[Mapping[str, Any]] = []
        for process in self._processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                raise BenchmarkError(f"a client process died during {case.name}")
            results.append(json.loads(line))
        errors = [result["error"] for result in results if result["error"]]
        if errors:
            raise BenchmarkError(f"{case.name}: {errors[0]}")
        latencies = [value for result in results for value in result["latencies_ms"]]
        elapsed = max(r["end"] for r in results) - min(r["start"] for r in results)
        self.local_ports = [int(result.get("local_port", 0)) for result in results]
        return latencies, elapsed

    def spread(
        self, probe: Case, owner: Callable[[int], int | None], attempts: int = 50
    ) -> list[int | None]:
        """Put each connection on a worker of its own; return the worker of each.

        The kernel hands a new connection to whichever worker accepts first, so two of
        them often share one worker while another idles: that measures one worker with
        two clients, not two workers. A connection that shares its worker reconnects
        until each has its own (or ``attempts`` run out). ``owner``: the worker pid that
        holds the server end of a client's port.
        """
        again: set[int] = set()
        owners: list[int | None] = []
        for _ in range(attempts):
            self.run(probe, warmup=0, count=1, reconnect=again)
            owners = [owner(port) for port in self.local_ports]
            seen: set[int | None] = set()
            again = set()
            for index, pid in enumerate(owners):
                if pid is None or pid in seen:
                    again.add(index)
                seen.add(pid)
            if not again:
                break
        return owners


@contextmanager
def clients(port: int, token: str, connections: int, host: str = "127.0.0.1") -> Iterator[Driver]:
    """Start ``connections`` client processes; stop them on exit."""
    processes: list[subprocess.Popen[str]] = []
    try:
        for _ in range(connections):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "benchmarks.client", host, str(port)],
                    cwd=REPO_ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        yield Driver(processes, token)
    finally:
        for process in processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
