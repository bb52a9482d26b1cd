"""Let the samples show their work: update their plugin's stored metadata atomically.

The API shows the result at ``GET /api/plugins/<key>/metadata/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from plughost.core.plugin import InvenTreePlugin

MAX_ENTRIES = 20

Change = Callable[[dict[str, Any]], dict[str, Any]]


def update_metadata(plugin: InvenTreePlugin, change: Change) -> None:
    """Apply ``change`` to the plugin's metadata under a row lock (workers run at once)."""
    config = plugin.plugin_config()
    if config is None:
        return
    with transaction.atomic():
        row = type(config)._default_manager.select_for_update().get(pk=config.pk)
        current = row.metadata if isinstance(row.metadata, dict) else {}
        row.metadata = change(dict(current))
        row.save(update_fields=["metadata"])


def record_event(plugin: InvenTreePlugin, event: str, data: dict[str, Any]) -> None:
    """Count the event and keep it among the last ``MAX_ENTRIES`` received."""

    def change(metadata: dict[str, Any]) -> dict[str, Any]:
        received = [*metadata.get("events", []), {"event": event, "data": data}]
        metadata["events"] = received[-MAX_ENTRIES:]
        metadata["event_count"] = int(metadata.get("event_count", 0)) + 1
        return metadata

    update_metadata(plugin, change)


def record_run(plugin: InvenTreePlugin, task: str) -> None:
    """Count one run of ``task``."""

    def change(metadata: dict[str, Any]) -> dict[str, Any]:
        runs = dict(metadata.get("runs", {}))
        runs[task] = int(runs.get(task, 0)) + 1
        metadata["runs"] = runs
        return metadata

    update_metadata(plugin, change)
