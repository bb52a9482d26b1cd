"""Start ``plughost serve`` (gunicorn) on a free loopback port, measure it, stop it.

Mirrors ``tests/e2e/servers.py`` without pytest: a server per configuration, SQLite in its
data dir or a PostgreSQL database of its own (``plughost_bench_<pid>``), created and dropped
here. Everything it measures about the processes comes from ``/proc``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.driver import BenchmarkError

HOST = "127.0.0.1"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN_USER = "bench-admin"
ADMIN_PASSWORD = "bench-admin-password"
START_TIMEOUT = 300.0
STOP_TIMEOUT = 20.0
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class ServerSpec:
    """What to start: database, workers, plugin folders, interpreter, extra environment."""

    database: str = "sqlite"  # or "postgresql"
    workers: int = 1
    plugin_dirs: tuple[Path, ...] = ()
    python: str = sys.executable
    env: Mapping[str, str] = field(default_factory=dict)
    pythonpath: Path | None = None  # another version's src/, imported before the installed one


@dataclass
class Server:
    """A running server."""

    port: int
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    started_s: float  # process start -> first 200 on /api/
    token: str = ""

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def worker_pids(self) -> list[int]:
        """Return the gunicorn worker processes (children of the master)."""
        return children(self.process.pid)

    def peak_rss_kib(self) -> dict[int, int]:
        """Return each worker's peak resident set size (``VmHWM``) in KiB."""
        return {pid: peak_rss_kib(pid) for pid in self.worker_pids()}

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the server's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    """Return a TCP port nobody listens on at the moment."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> list[int]:
    """Return the child process ids of ``pid`` (from ``/proc``)."""
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(part) for part in listing.read_text().split()]
    except OSError:
        pass
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def connection_owner(server_port: int, client_port: int, pids: Sequence[int]) -> int | None:
    """Return which of ``pids`` holds the server end of the loopback connection from
    ``client_port`` (from ``/proc/net/tcp`` and the processes' descriptors); None if none."""
    wanted = (f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}")
    inode = None
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if (fields[1], fields[2]) == wanted:
            inode = fields[9]
            break
    if inode is None:
        return None
    for pid in pids:
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def peak_rss_kib(pid: int) -> int:
    """Return ``VmHWM`` of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    basic: tuple[str, str] | None = None,
    timeout: float = 300.0,
) -> tuple[int, Any]:
    """Send one request on a new connection; return the status and the decoded JSON body."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if basic:
        credentials = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {credentials}"
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = data.decode("utf-8", errors="replace")
    return response.status, decoded


def postgres_available() -> bool:
    """Return whether PostgreSQL answers at 127.0.0.1:5432 (user postgres, no password)."""
    try:
        import psycopg  # noqa: PLC0415 - optional: only needed when PostgreSQL is there
    except ImportError:
        return False
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


@contextmanager
def postgres_database(suffix: str = "") -> Iterator[str]:
    """Create the database ``plughost_bench_<pid><suffix>``, yield its URL, drop it."""
    import psycopg  # noqa: PLC0415 - optional: only needed when PostgreSQL is there
    from psycopg import sql  # noqa: PLC0415

    name = f"plughost_bench_{os.getpid()}{suffix}"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(drop)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(drop)


def plughost_command(python: str) -> list[str]:
    """Return the ``plughost`` script beside ``python``, else ``python -m plughost.cli.main``."""
    script = shutil.which("plughost", path=str(Path(python).parent))
    return [script] if script else [python, "-m", "plughost.cli.main"]


def server_environment(
    data_dir: Path, spec: ServerSpec, database_url: str | None
) -> dict[str, str]:
    """Return the server's environment: nothing of the caller's plughost settings leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLUGHOST_", "BENCH_")) and key != "DJANGO_SETTINGS_MODULE"
    }
    env |= {
        "PLUGHOST_DATA_DIR": str(data_dir),
        "PLUGHOST_ADMIN_USER": ADMIN_USER,
        "PLUGHOST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PLUGHOST_SAMPLE_PLUGINS": "1",
        "PLUGHOST_BENCH_FLOOR": "1",
        # Connections stay open between cases: each stays with the worker it was put on.
        "GUNICORN_CMD_ARGS": "--keep-alive 600",
        # A fixed key: restarts of the same data dir need no key file race.
        "PLUGHOST_SECRET_KEY": "plughost-benchmark-secret-key-not-for-production-use-0123456789",
    }
    if spec.plugin_dirs:
        env["PLUGHOST_PLUGIN_DIRS"] = ":".join(str(path) for path in spec.plugin_dirs)
    if database_url is not None:
        env["PLUGHOST_DATABASE_URL"] = database_url
    if spec.pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(spec.pythonpath), env.get("PYTHONPATH", "")) if part
        )
    return env | dict(spec.env)


def wait_for_api(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Poll ``GET /api/`` until it answers 200; raise with the log if the server dies."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"server exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            status, _ = request(port, "GET", "/api/", timeout=5)
        except OSError:
            time.sleep(POLL_SECONDS)
            continue
        if status == 200:
            return
        time.sleep(POLL_SECONDS)
    raise BenchmarkError(f"server did not answer /api/ in {START_TIMEOUT}s:\n{_tail(log_path)}")


def _tail(log_path: Path, lines: int = 40) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def run_server(
    data_dir: Path, spec: ServerSpec, *, database_url: str | None = None
) -> Iterator[Server]:
    """Start ``plughost serve``, wait for the first 200 on ``/api/``, get a token; stop on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir.parent / f"server-{port}.log"
    command = [
        *plughost_command(spec.python),
        "serve",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(spec.workers),
    ]
    with log_path.open("wb") as log:
        began = time.monotonic()
        process = subprocess.Popen(
            command,
            env=server_environment(data_dir, spec, database_url),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_api(process, port, log_path)
        server = Server(port, process, data_dir, log_path, time.monotonic() - began)
        status, body = request(port, "GET", "/api/user/token/", basic=(ADMIN_USER, ADMIN_PASSWORD))
        if status != 200:
            raise BenchmarkError(f"no token ({status} {body}):\n{_tail(log_path)}")
        server.token = str(body["token"])
        yield server
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def database_for(kind: str, suffix: str = "") -> Iterator[str | None]:
    """Yield the database URL for ``kind`` (None: SQLite in the data dir)."""
    if kind == "postgresql":
        with postgres_database(suffix) as url:
            yield url
    else:
        yield None
