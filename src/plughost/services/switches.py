"""The host-level switches: typed settings of the builtin ``plughost`` plugin.

Each layer that wires a capability asks here before doing so. A switch reads as on when the
``plughost`` plugin is not loaded (a registry built without the builtins, as in some tests).
"""

from __future__ import annotations

from plughost.core.registry import Registry
from plughost.plugins.builtin.host import (
    ENABLE_PLUGINS_ACTIONS,
    ENABLE_PLUGINS_EVENTS,
    ENABLE_PLUGINS_NAVIGATION,
    ENABLE_PLUGINS_SCHEDULE,
    ENABLE_PLUGINS_URL,
    PlughostPlugin,
)

HOST_PLUGIN_KEY = "plughost"


def is_switch_on(registry: Registry, switch: str) -> bool:
    """Return whether the host switch ``switch`` is on in ``registry``."""
    host_plugin = registry.find_plugin(HOST_PLUGIN_KEY)
    if not isinstance(host_plugin, PlughostPlugin):
        return True
    return host_plugin.is_enabled(switch)


def host_setting(registry: Registry, setting: str) -> object:
    """Return a setting of the ``plughost`` plugin, or ``""`` when it is not loaded."""
    host_plugin = registry.find_plugin(HOST_PLUGIN_KEY)
    if not isinstance(host_plugin, PlughostPlugin):
        return ""
    return host_plugin.get_setting(setting)


__all__ = [
    "ENABLE_PLUGINS_ACTIONS",
    "ENABLE_PLUGINS_EVENTS",
    "ENABLE_PLUGINS_NAVIGATION",
    "ENABLE_PLUGINS_SCHEDULE",
    "ENABLE_PLUGINS_URL",
    "host_setting",
    "is_switch_on",
]
