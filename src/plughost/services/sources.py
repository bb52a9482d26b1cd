"""Where plugins are discovered, as this server is configured."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from plughost.core.definition import Origin
from plughost.core.discovery import (
    DiscoveryResult,
    discover_entry_points,
    discover_folder,
    discover_package,
)

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


def discover_all() -> DiscoveryResult:
    """Discover in priority order: builtin, samples, folders, packages (first key wins)."""
    result = discover_package(BUILTIN_PACKAGE, Origin.BUILTIN)
    if settings.PLUGHOST_SAMPLE_PLUGINS:
        result.extend(discover_package(SAMPLE_PACKAGE, Origin.SAMPLE))
    for folder in plugin_folders():
        result.extend(discover_folder(folder))
    result.extend(discover_entry_points())
    return result
