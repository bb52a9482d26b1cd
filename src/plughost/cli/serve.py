"""``plughost serve``: prepare the database, then become gunicorn."""

from __future__ import annotations

import argparse
import os
import sys

from django.core.management import call_command
from django.db import connections

from plughost.cli.accounts import ensure_admin

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_WORKERS = 2
GUNICORN_CONFIG = "python:plughost.server.gunicorn_conf"


def parse_bind(value: str) -> str:
    """Check a ``HOST:PORT`` argument; raise ``ArgumentTypeError`` if it is not one."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT, e.g. {DEFAULT_BIND}")
    return value


def positive_int(value: str) -> int:
    """Parse a positive integer argument; raise ``ArgumentTypeError`` otherwise."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive integer")
    return int(value)


def serve(bind: str, workers: int) -> None:
    """Migrate, ensure an admin user, then replace this process with gunicorn."""
    call_command("migrate", interactive=False, verbosity=1)
    ensure_admin()
    # The workers open their own connections; do not hand them ours.
    connections.close_all()
    sys.stdout.flush()
    argv = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG]
    os.execv(sys.executable, [*argv, "--bind", bind, "--workers", str(workers)])
