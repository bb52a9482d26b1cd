"""``plughost serve``: prepare the database, then become gunicorn."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from plughost.cli.accounts import ensure_admin

logger = logging.getLogger(__name__)

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


def serve(bind: str, workers: int, *, before_exec: Callable[[], object] | None = None) -> None:
    """Migrate, ensure an admin user and the plugin packages, then become gunicorn.

    ``before_exec`` runs last, on the migrated database (``--with-worker`` starts the task
    worker there).
    """
    call_command("migrate", interactive=False, verbosity=1)
    ensure_admin()
    prepare_plugin_packages()
    prepare_plugin_apps()  # after the packages: AppMixin plugins' apps and their migrations
    # The workers open their own connections; do not hand them ours.
    connections.close_all()
    if before_exec is not None:
        before_exec()
    sys.stdout.flush()
    argv = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG]
    os.execv(sys.executable, [*argv, "--bind", bind, "--workers", str(workers)])


def prepare_plugin_packages() -> None:
    """Mirror the desired set into plugins.txt; install what this node lacks, if configured.

    Never raises: a server must start even when a package index is down.
    """
    # Services import models, which exist only after django.setup(), done after parsing.
    from plughost.services.desired import sync_plugins_file  # noqa: PLC0415
    from plughost.services.install_lock import release_dead_local_holder  # noqa: PLC0415
    from plughost.services.missing_packages import install_missing_packages  # noqa: PLC0415
    from plughost.services.package_journal import recover_interrupted  # noqa: PLC0415

    try:
        # What an install or uninstall killed half-way left, before any worker loads it.
        recovered = recover_interrupted(starting=True)
        if recovered is not None:
            print(f"plugin packages: {recovered}", flush=True)
        release_dead_local_holder()
        if settings.PLUGHOST_PLUGINS_ON_STARTUP:
            for outcome in install_missing_packages():
                print(f"plugin package {outcome.package}: {outcome.message}", flush=True)
        else:
            sync_plugins_file()
    except Exception:  # logged; the server starts without the missing packages
        logger.exception("preparing the plugin packages failed; starting without them")


def prepare_plugin_apps() -> None:
    """Add the active AppMixin plugins' Django apps and migrate them, before workers start.

    Never raises: a plugin whose migrations fail must not keep the server down.
    """
    from plughost.services.startup import migrate_plugin_apps  # noqa: PLC0415 - as above

    try:
        for label in migrate_plugin_apps():
            print(f"plugin app {label}: migrated", flush=True)
    except Exception:  # logged; the plugin's own errors show in status/
        logger.exception("migrating the plugin apps failed; starting without them")
