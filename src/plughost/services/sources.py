"""Where plugins are discovered, as this server is configured."""

from __future__ import annotations

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
    return BoundedRunner(float(settings.PLUGHOST_PLUGIN_LOAD_TIMEOUT))


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
