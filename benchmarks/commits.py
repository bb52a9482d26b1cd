"""What a durable write costs the database alone: one-row UPDATEs committed one by one.

A write endpoint cannot answer before its change is committed, so its latency holds at
least one commit; this measures that commit on the same database, with as many writers at
once as the configuration has workers, and no plughost in the way. It is a reference for
the write rows of the endpoint table, not a target.

PostgreSQL: a database of its own on the same server (the same WAL and disk), with the
server's ``synchronous_commit``. SQLite: a file beside the server's, opened as the server
opens its own (WAL, ``synchronous=NORMAL``), each UPDATE its own ``BEGIN IMMEDIATE``.

Each writer is a process: ``python -m benchmarks.commits KIND TARGET ROW COUNT`` connects,
prints ``ready``, waits for a line on stdin, commits COUNT updates of row ROW and prints
their latencies (ms) as one JSON list.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.driver import REPO_ROOT, BenchmarkError
from benchmarks.servers import postgres_database
from benchmarks.stats import Summary, summarize

TABLE = "bench_commit"
SQLITE_PRAGMAS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
"""As the server opens its SQLite database (``plughost.server.config``)."""


def measure(kind: str, writers: int, count: int, folder: Path) -> Summary:
    """Commit ``count`` one-row UPDATEs in each of ``writers`` processes at once."""
    with _target(kind, writers, folder) as target:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "benchmarks.commits", kind, target, str(row), str(count)],
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for row in range(1, writers + 1)
        ]
        try:
            for process in processes:  # all connected before any begins
                assert process.stdout is not None
                if process.stdout.readline().strip() != "ready":
                    raise BenchmarkError(f"a {kind} commit writer did not start")
            began = time.monotonic()
            for process in processes:
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            latencies: list[float] = []
            for process in processes:
                assert process.stdout is not None
                line = process.stdout.readline()
                if not line:
                    raise BenchmarkError(f"a {kind} commit writer died")
                latencies += json.loads(line)
            elapsed = time.monotonic() - began
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                process.wait()
    return summarize(latencies, elapsed)


@contextmanager
def _target(kind: str, writers: int, folder: Path) -> Iterator[str]:
    """Yield where the writers write (a URL or a file), with one row per writer."""
    rows = [(row, 0) for row in range(1, writers + 1)]
    create = f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, n bigint NOT NULL)"
    insert = f"INSERT INTO {TABLE} (id, n) VALUES (%s, %s)"
    if kind == "postgresql":
        import psycopg  # noqa: PLC0415 - optional: only needed when PostgreSQL is there

        with postgres_database("_commit") as url:
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(create)
                connection.cursor().executemany(insert, rows)
            yield url
        return
    path = folder / "commit.sqlite3"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.executescript(SQLITE_PRAGMAS + create + ";")
        connection.executemany(insert.replace("%s", "?"), rows)
    try:
        yield str(path)
    finally:
        for leftover in folder.glob("commit.sqlite3*"):
            leftover.unlink(missing_ok=True)


def _postgres_writer(target: str, row: int) -> Callable[[], None]:
    import psycopg  # noqa: PLC0415

    connection = psycopg.connect(target, autocommit=True)
    statement = f"UPDATE {TABLE} SET n = n + 1 WHERE id = %s"

    def commit() -> None:
        connection.execute(statement, [row], prepare=True)

    return commit


def _sqlite_writer(target: str, row: int) -> Callable[[], None]:
    connection = sqlite3.connect(target, isolation_level=None, timeout=30)
    connection.executescript(SQLITE_PRAGMAS)
    statement = f"UPDATE {TABLE} SET n = n + 1 WHERE id = ?"

    def commit() -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(statement, [row])
        connection.execute("COMMIT")

    return commit


def main(argv: list[str]) -> int:
    """One writer: connect, say ``ready``, wait for a line, commit, print the latencies."""
    kind, target, row, count = argv[0], argv[1], int(argv[2]), int(argv[3])
    commit = (_postgres_writer if kind == "postgresql" else _sqlite_writer)(target, row)
    for _ in range(min(count, 50)):  # warm: prepared, cached
        commit()
    print("ready", flush=True)
    sys.stdin.readline()
    latencies: list[Any] = []
    clock = time.perf_counter
    for _ in range(count):
        began = clock()
        commit()
        latencies.append((clock() - began) * 1000)
    print(json.dumps(latencies), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
