"""Gunicorn settings for ``plughost serve`` (bind and workers come from the command line)."""

from __future__ import annotations

import contextlib
import os
import signal
import time

from plughost.server.config import read_config

_config = read_config(os.environ)

wsgi_app = "plughost.server.wsgi:application"
# Threads keep the API answering while one request waits on a plugin install; the thread
# that went idle last takes the next request (gthread's pool takes turns: see the module).
worker_class = "plughost.server.request_threads.LastIdleThreadWorker"
threads = 4
# An install request may run pip for PLUGHOST_INSTALL_TIMEOUT seconds: never kill it first.
timeout = int(_config.install_timeout) + 30
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
loglevel = "debug" if _config.debug else "info"
# Gunicorn's control socket sits at one fixed path per user, so two servers
# (say, e2e tests on different ports) would fight over it. We do not use it.
control_socket_disable = True

# `plughost serve --with-worker` starts a task worker before becoming gunicorn and leaves its
# pid here; the worker also stops by itself when this process is gone.
WORKER_PID_VARIABLE = "PLUGHOST_WORKER_PID"
WORKER_STOP_SECONDS = 8.0


def on_exit(server: object) -> None:
    """Stop the task worker started beside this server: SIGTERM, then SIGKILL what is left."""
    del server
    raw = os.environ.get(WORKER_PID_VARIABLE, "")
    if raw.isdigit():
        _stop_process_group(int(raw), WORKER_STOP_SECONDS)


def _stop_process_group(pid: int, timeout: float) -> None:
    # Only the worker's main process: it stops its cluster in order (django-q's sentinel
    # would die at once of a SIGTERM of its own).
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped already (gunicorn reaps every child)
            done = pid
        if done:
            break
        time.sleep(0.1)
    # Whatever is left of the group (the cluster's processes) goes now.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
