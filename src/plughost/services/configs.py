"""Plugin configs as the registry snapshot holds them: read without a query."""

from __future__ import annotations

from plughost.core.errors import PluginNotFoundError
from plughost.db.models import PluginConfig
from plughost.runtime import holder

CONFIG_FIELDS = ("id", "key", "name", "package_name", "active")
"""The config columns every rebuild reads into the snapshot."""


def snapshot_config(key: str) -> PluginConfig:
    """Return the config of ``key`` from the current snapshot (no query); raise not found.

    An instance whose other fields (metadata) load only if read. After
    ``services.registry.fresh_registry()`` it is as current as the database.
    """
    row = holder.snapshot.configs.get(key)
    if row is None:
        raise PluginNotFoundError(f"No plugin with key '{key}'", key=key)
    return PluginConfig.from_db(None, list(CONFIG_FIELDS), [row[name] for name in CONFIG_FIELDS])
