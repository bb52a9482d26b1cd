"""Where plugins are discovered, as this server is configured."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from plughost.core.bounded import BoundedRunner
from plughost.core.definition import Origin
from plughost.core.discovery import (
    DiscoveryResult,
    discover_entry_points,
    discover_folder,
    discover_package,
)
from plughost.services.install_target import ensure_importable

BUILTIN_PACKAGE = "plughost.plugins.builtin"
SAMPLE_PACKAGE = "plughost.plugins.samples"


def plugin_folders() -> list[Path]:
    """Return the plugin folders: the data dir's ``plugins/`` and ``PLUGHOST_PLUGIN_DIRS``."""
    folders = [Path(settings.PLUGHOST_PLUGIN_DIR), *map(Path, settings.PLUGHOST_PLUGIN_DIRS)]
    unique: list[Path] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


def plugin_code_runner() -> BoundedRunner | None:
    """Return the runner that bounds plugin imports and ``ready()`` calls."""
    seconds = float(settings.PLUGHOST_PLUGIN_LOAD_TIMEOUT)
    with _runners_lock:  # one per process (per limit): each runner keeps a thread
        runner = _runners.get(seconds)
        if runner is None:
            runner = _runners[seconds] = BoundedRunner(seconds)
        return runner


_runners: dict[float, BoundedRunner] = {}
_runners_lock = threading.Lock()


Fingerprint = tuple[tuple[str, int, int], ...]
"""``(path, mtime_ns, size)`` of everything discovery reads from disk."""


def sources_fingerprint() -> Fingerprint:
    """Return what discovery would read, cheaply: stat results, no import.

    Every directory on ``sys.path`` and its entry names (a package installed, upgraded or
    removed adds, renames or deletes entries there) and every file in the
    plugin folders (a plugin file edited in place moves only its own). Two equal
    fingerprints mean a rediscovery would find the same plugins: a reload that collects
    plugins reuses the last discovery then (``services.registry``). Plain strings and
    ``os.scandir``: every collecting reload in every process pays for this walk, and
    ``pathlib``'s objects cost most of it.
    """
    ensure_importable()  # the install environment's folders are on sys.path first
    entries: list[tuple[str, int, int]] = [
        ("settings", int(settings.PLUGHOST_PLUGINS_ENABLED), int(settings.PLUGHOST_SAMPLE_PLUGINS))
    ]
    for path in dict.fromkeys(sys.path):
        entries.extend(_folder(path or "."))
    for folder in plugin_folders():
        entries.append(_stat(str(folder)))
        entries.extend(sorted(_files(str(folder))))
    return tuple(entries)


def _files(folder: str) -> Iterator[tuple[str, int, int]]:
    """``_stat`` of every file below ``folder``; symlinked folders are not entered."""
    try:
        listing = list(os.scandir(folder))
    except OSError:
        return
    for entry in listing:
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _files(entry.path)
            elif entry.is_file():
                found = entry.stat()
                yield (entry.path, found.st_mtime_ns, found.st_size)
        except OSError:
            continue


SETTLED_SECONDS = 2.0
"""A folder listed this long after its last change cannot change again unseen: a later
change moves its timestamp, on any filesystem whose timestamps are this fine or finer."""

_listings: dict[str, tuple[int, tuple[str, int, int]]] = {}


def _folder(folder: str) -> tuple[tuple[str, int, int], tuple[str, int, int]]:
    """``_stat`` of a ``sys.path`` folder and its entry names, hashed.

    A package's dist-info folder is named with its version, so an install, upgrade or
    removal shows in the names even where timestamps are too coarse to tell two changes in
    one second apart. Names listed ``SETTLED_SECONDS`` after the folder's last change are
    kept while its timestamp stays: site-packages holds hundreds of entries, and listing,
    sorting and hashing them was most of a collecting reload's check.
    """
    try:
        found = os.stat(folder)
    except OSError:
        return (folder, -1, -1), (f"{folder}/", -1, -1)
    stat = (folder, found.st_mtime_ns, found.st_size)
    kept = _listings.get(folder)
    if kept is not None and kept[0] == found.st_mtime_ns:
        return stat, kept[1]
    listed_at = time.time_ns()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return stat, (f"{folder}/", -1, -1)
    listing = (f"{folder}/", len(names), hash("\0".join(names)))
    if listed_at - found.st_mtime_ns >= SETTLED_SECONDS * 1e9:
        _listings[folder] = (found.st_mtime_ns, listing)
    return stat, listing


def _stat(path: str) -> tuple[str, int, int]:
    try:
        found = os.stat(path)
    except OSError:
        return (path, -1, -1)
    return (path, found.st_mtime_ns, found.st_size)


def discover_all(runner: BoundedRunner | None = None) -> DiscoveryResult:
    """Discover in priority order: builtin, samples, folders, modules, packages (first wins).

    With ``PLUGHOST_PLUGINS_ENABLED`` off only the builtin plugins are discovered (as in
    InvenTree): no third-party code is imported at all.
    """
    result = discover_package(BUILTIN_PACKAGE, Origin.BUILTIN, runner=runner)
    if not settings.PLUGHOST_PLUGINS_ENABLED:
        return result
    if settings.PLUGHOST_SAMPLE_PLUGINS:
        result.extend(discover_package(SAMPLE_PACKAGE, Origin.SAMPLE, runner=runner))
    for folder in plugin_folders():
        result.extend(discover_folder(folder, runner=runner))
    # Importable modules named by the Django setting (plughost.testing's in-process host).
    for module in getattr(settings, "PLUGHOST_PLUGIN_MODULES", ()):
        result.extend(discover_package(module, Origin.PACKAGE, runner=runner))
    ensure_importable()  # packages of another install environment (PLUGHOST_INSTALL_PYTHON)
    result.extend(discover_entry_points(runner=runner))
    return result
