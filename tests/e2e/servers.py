"""Run ``plughost serve`` in a subprocess on a free loopback port, and stop it."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest
import requests
from psycopg import sql

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN_USER = "e2e-admin"
ADMIN_PASSWORD = "e2e-admin-password"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
KILL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Server:
    """A running server: where it listens, how to log in, where it keeps its data."""

    base_url: str
    admin_user: str
    admin_password: str
    data_dir: Path
    database_url: str | None
    log_path: Path
    pid: int = 0  # the server's main process (gunicorn's arbiter)

    @property
    def admin_auth(self) -> tuple[str, str]:
        return (self.admin_user, self.admin_password)

    def url(self, path: str) -> str:
        return self.base_url + path


def use_postgres() -> bool:
    return os.environ.get("PLUGHOST_TEST_POSTGRES") == "1"


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a fresh PostgreSQL database, yield its URL, then drop it."""
    name = f"plughost_e2e_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plughost_command() -> list[str]:
    """Return the installed ``plughost`` script beside this Python, else ``python -m``."""
    script = shutil.which("plughost", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "plughost.cli.main"]


def server_environment(
    data_dir: Path, database_url: str | None, extra: Mapping[str, str]
) -> dict[str, str]:
    # Nothing of the caller's plughost configuration leaks into the server.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PLUGHOST_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env |= {
        "PLUGHOST_DATA_DIR": str(data_dir),
        "PLUGHOST_ADMIN_USER": ADMIN_USER,
        "PLUGHOST_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    if database_url is not None:
        env["PLUGHOST_DATABASE_URL"] = database_url
    return env | dict(extra)


def wait_until_answering(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    """Poll ``url`` until any HTTP answer; fail with the server's log if it dies or stalls."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            requests.get(url, timeout=2).close()
        except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
            time.sleep(0.2)
        else:
            return
    pytest.fail(f"server did not answer {url} in {START_TIMEOUT}s:\n{log_path.read_text()}")


@contextmanager
def run_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    args: Sequence[str] = (),
) -> Iterator[Server]:
    """Start ``plughost serve [args]``, wait until ``/api/`` answers, stop it on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir.parent / f"server-{port}.log"
    server = Server(
        base_url=f"http://127.0.0.1:{port}",
        admin_user=ADMIN_USER,
        admin_password=ADMIN_PASSWORD,
        data_dir=data_dir,
        database_url=database_url,
        log_path=log_path,
    )
    command = [*plughost_command(), "serve", "--bind", f"127.0.0.1:{port}"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--workers", str(workers), *args],
            env=server_environment(data_dir, database_url, env or {}),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = replace(server, pid=process.pid)
    try:
        wait_until_answering(process, server.url("/api/"), log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill_server(server: Server) -> None:
    """SIGKILL the arbiter and its workers at once, as a power cut would; return once they
    are dead.

    A killed process in an uninterruptible wait (a disk flush on a loaded machine) dies only
    when that wait ends; until then its children (a pip it started, which dies with it) go
    on. A test that lets the world move on after the kill waits for the deaths first.
    """
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    pids = [server.pid, *map(int, children)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + KILL_TIMEOUT
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"the server's processes {pids} outlived SIGKILL")
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has died: only its exit status is left)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
