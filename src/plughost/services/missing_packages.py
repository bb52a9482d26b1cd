"""Install the desired packages that this node lacks (at start-up and when reconciling).

Failures are logged and returned, never raised: a start-up must not die because an index is
down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from plughost.core.errors import (
    PluginError,
)
from plughost.db.models import AuditAction
from plughost.installer import operations
from plughost.installer.environment import Snapshot, take_snapshot
from plughost.installer.runner import Runner
from plughost.services import desired
from plughost.services.audit import SYSTEM, audited
from plughost.services.install_lock import install_lock
from plughost.services.install_target import (
    make_runner,
)
from plughost.services.installs import lease_seconds

logger = logging.getLogger(__name__)
STARTUP_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class StartupInstall:
    """One package of the desired set, as the start-up found and left it."""

    package: str
    ok: bool
    message: str


def install_missing_packages() -> list[StartupInstall]:
    """Install the desired packages that this node's environment lacks (at start-up).

    Mirrors ``plugins.txt`` first. Each package is installed at its recorded version from
    its recorded index, with the same host-package check as the API. Failures are logged
    and returned, never raised: a start-up must not die because an index is down.
    """
    desired.sync_plugins_file()
    packages = desired.list_packages()
    if not packages:
        return []
    runner = make_runner()
    try:
        with install_lock(
            "start-up install", lease_seconds=lease_seconds(), wait_seconds=STARTUP_WAIT_SECONDS
        ):
            results = install_missing(packages, take_snapshot(runner), runner)
    except PluginError as exc:
        logger.exception("start-up install of plugin packages skipped: %s", exc.message)
        return [StartupInstall(package.name, False, exc.message) for package in packages]
    return results


def lacking(
    packages: list[desired.DesiredPackage], installed: Snapshot
) -> list[desired.DesiredPackage]:
    """Return the packages of the desired set that ``installed`` lacks or has at another version."""
    found = []
    for package in packages:
        version = installed.version_of(package.name)
        if version is None or (package.version and version != package.version):
            found.append(package)
    return found


def install_missing(
    packages: list[desired.DesiredPackage], installed: Snapshot, runner: Runner
) -> list[StartupInstall]:
    """Install each package that ``installed`` lacks; the caller holds the right lock."""
    return [
        _install_missing(package, installed.version_of(package.name), runner)
        for package in packages
    ]


def _install_missing(
    package: desired.DesiredPackage, version: str | None, runner: Runner
) -> StartupInstall:
    if version is not None and (not package.version or version == package.version):
        return StartupInstall(package.name, True, f"{package.name} {version} is installed")
    try:
        target = package.reinstall_target()
        with audited(AuditAction.INSTALL, target.describe(), SYSTEM) as note:
            if not package.allow_host_changes:
                report = operations.dry_run(target, runner=runner)
                operations.raise_for_host_conflicts(report, operations.host_requirement_names())
            result = operations.install(target, runner=runner)
            note.message = "start-up install: " + ", ".join(result.changes.describe())
    except PluginError as exc:
        logger.exception("start-up install of %s failed: %s", package.name, exc.message)
        return StartupInstall(package.name, False, exc.message)
    logger.info("start-up install: %s", note.message)
    return StartupInstall(package.name, True, note.message)
