"""InvenTree's ``plugin.models``: plughost's stored plugin state (needs Django set up)."""

from plughost.db.models import PluginConfig, PluginSetting

__all__ = ["PluginConfig", "PluginSetting"]
