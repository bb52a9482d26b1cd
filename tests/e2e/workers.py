"""Run ``plughost worker`` processes beside a test server, sharing its data dir and database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.servers import Server, plughost_command, server_environment

START_TIMEOUT = 45.0
STOP_TIMEOUT = 20.0
READY_LINE = b"plughost worker:"


@dataclass(frozen=True)
class Worker:
    """A running worker and its log."""

    pid: int
    log_path: Path


@contextmanager
def run_worker(server: Server, env: Mapping[str, str], name: str) -> Iterator[Worker]:
    """Start a worker for ``server`` (same environment); stop it, and its cluster, on exit."""
    log_path = server.data_dir.parent / f"worker-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*plughost_command(), "worker"],
            env=server_environment(server.data_dir, server.database_url, env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the cluster's processes stop with it
        )
    try:
        _wait_until_ready(process, log_path)
        yield Worker(process.pid, log_path)
    finally:
        _stop(process)


def _wait_until_ready(process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"worker exited with {process.returncode}:\n{log_path.read_text()}")
        if READY_LINE in log_path.read_bytes():
            return
        time.sleep(0.2)
    pytest.fail(f"worker not ready in {START_TIMEOUT}s:\n{log_path.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # the worker stops its cluster in order
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # anything of the cluster left behind
