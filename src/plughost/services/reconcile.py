"""Bring this node's installed plugin packages in line with the desired set.

Another node installed or uninstalled a plugin package: the shared database says so (the
desired set and ``collect_version``), and each node installs what it lacks and removes what
it once had from the set but the set no longer lists. Packages installed on the node by
other means (``pip install`` by hand) are never removed: only the ones this node adopted
from the desired set, recorded in ``<data dir>/reconciled.json``.

One process per node reconciles at a time (a file lock in the data dir); the others wait
for it, so every process of the node rediscovers after the packages are in place.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import logging
import os
from pathlib import Path

from django.conf import settings

from plughost.core.errors import PluginError
from plughost.installer import operations
from plughost.installer.environment import take_snapshot
from plughost.services import desired, missing_packages
from plughost.services.install_target import (
    ensure_importable,
    forget_modules,
    make_runner,
    top_level_modules,
)
from plughost.services.nodes import ReconcileOutcome
from plughost.services.package_journal import node_lock, recover_interrupted
from plughost.services.registry import Discovery, rebuild

logger = logging.getLogger(__name__)

ADOPTED_FILE = "reconciled.json"


def read_adopted() -> set[str]:
    """Return the packages this node installed or kept because the desired set listed them."""
    path = Path(settings.PLUGHOST_DATA_DIR) / ADOPTED_FILE
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return set()
    return {str(name) for name in names} if isinstance(names, list) else set()


def _already_in_step(packages: list[desired.DesiredPackage], dropped: set[str]) -> bool:
    """Whether every wanted package is installed at its version and no dropped one is left.

    Asked of this process's own view of the install environment (its site folders are on
    ``sys.path``), with the metadata caches cleared: listing the target interpreter's
    packages takes two subprocesses, which every process of the node paid after every
    install anywhere, and which held up its watcher for seconds on a loaded machine.
    """
    ensure_importable()
    importlib.invalidate_caches()
    for package in packages:
        version = _installed_version(package.name)
        if version is None or (package.version and version != package.version):
            return False
    return all(_installed_version(name) is None for name in dropped)


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def write_adopted(names: set[str]) -> None:
    """Record the adopted packages (atomically)."""
    path = Path(settings.PLUGHOST_DATA_DIR) / ADOPTED_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(sorted(names)), encoding="utf-8")
    os.replace(temporary, path)


def reconcile_node() -> ReconcileOutcome:
    """Install what the desired set lists and this node lacks; remove what it dropped.

    Never raises for a package problem: the outcome says what failed, and the node keeps
    serving with the packages it has.
    """
    with node_lock():
        recover_interrupted(locked=True)  # what a killed install of this node left
        if settings.PLUGHOST_PLUGIN_NOINSTALL:
            return ReconcileOutcome(True, "installs are disabled on this node; not reconciled")
        try:
            return _reconcile()
        except PluginError as exc:
            logger.exception("reconciling plugin packages failed: %s", exc.message)
            return ReconcileOutcome(False, exc.message)


def _reconcile() -> ReconcileOutcome:
    packages = desired.list_packages()
    wanted = {package.name for package in packages}
    adopted = read_adopted()
    if not wanted and not adopted:
        return ReconcileOutcome(True, "in step with the desired set (no packages)")
    if _already_in_step(packages, adopted - wanted):
        # The common case (this node made the change, or caught up before): no subprocess.
        desired.sync_plugins_file()
        if adopted != wanted:
            write_adopted(wanted)
        return ReconcileOutcome(True, f"in step with the desired set ({len(wanted)} packages)")
    runner = make_runner()
    before = take_snapshot(runner)
    problems: list[str] = []
    removed: list[str] = []
    dropped = sorted(read_adopted() - wanted)
    modules = top_level_modules(dropped)  # read before their files are gone
    for name in dropped:
        if before.version_of(name) is None:
            continue
        try:
            operations.uninstall(name, runner=runner)
            removed.append(name)
        except PluginError as exc:
            problems.append(f"removing {name}: {exc.message}")
    # Only this node's environment changes: the node lock is enough, and a node that has
    # everything never blocks another node's install.
    desired.sync_plugins_file()  # this node's mirror of the set
    missing = missing_packages.lacking(packages, before)
    if missing:
        results = missing_packages.install_missing(missing, before, runner)
        problems += [f"{result.package}: {result.message}" for result in results if not result.ok]
    after = take_snapshot(runner)
    write_adopted({name for name in wanted if after.version_of(name) is not None})
    if set(after.versions.items()) != set(before.versions.items()):
        forget_modules(modules | top_level_modules(wanted))
        rebuild(Discovery.RECOLLECT)
    absent = sorted(name for name in wanted if after.version_of(name) is None)
    if problems or absent:
        detail = "; ".join(problems) or f"still missing: {', '.join(absent)}"
        return ReconcileOutcome(False, f"out of step with the desired set: {detail}")
    summary = f"in step with the desired set ({len(wanted)} packages)"
    if removed:
        summary += f"; removed {', '.join(removed)}"
    return ReconcileOutcome(True, summary)
