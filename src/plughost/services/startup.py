"""What ``plughost serve`` does once, before its workers start."""

from __future__ import annotations

from plughost.services import plugin_apps
from plughost.services.registry import current_registry


def migrate_plugin_apps() -> list[str]:
    """Build the registry (which adds the active app plugins' apps) and migrate those apps.

    Returns the labels of the apps migrated. Runs in the one process that starts the
    workers, so no two processes migrate at once.
    """
    registry = current_registry()
    loaded = [registry.definitions[key] for key in registry.instances]
    return [label for label in plugin_apps.loaded_app_labels(loaded) if plugin_apps.migrate(label)]
