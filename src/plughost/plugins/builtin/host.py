"""The host's own switches, as typed settings of a mandatory plugin."""

from __future__ import annotations

from plughost import __version__
from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import SettingsMixin

ENABLE_PLUGINS_URL = "ENABLE_PLUGINS_URL"
ENABLE_PLUGINS_EVENTS = "ENABLE_PLUGINS_EVENTS"
ENABLE_PLUGINS_SCHEDULE = "ENABLE_PLUGINS_SCHEDULE"
ENABLE_PLUGINS_ACTIONS = "ENABLE_PLUGINS_ACTIONS"
ENABLE_PLUGINS_NAVIGATION = "ENABLE_PLUGINS_NAVIGATION"
CURRENCY_UPDATE_PLUGIN = "CURRENCY_UPDATE_PLUGIN"


class PlughostPlugin(SettingsMixin, InvenTreePlugin):
    """Switches that gate what active plugins may contribute to the host.

    Each layer that wires a capability reads its switch through the registry, for example
    ``registry.find_plugin("plughost").get_setting("ENABLE_PLUGINS_URL")`` before mounting
    plugin URLs.
    """

    NAME = "Plughost"
    SLUG = "plughost"
    TITLE = "Plughost host settings"
    DESCRIPTION = "Switches that decide which plugin capabilities the host wires in"
    AUTHOR = "Plughost contributors"
    VERSION = __version__

    SETTINGS = {
        ENABLE_PLUGINS_URL: {
            "name": "Enable URL integration",
            "description": "Mount the URLs of active plugins under /plugin/<key>/",
            "validator": bool,
            "default": True,
        },
        ENABLE_PLUGINS_EVENTS: {
            "name": "Enable event integration",
            "description": "Send the host's events to active plugins that process events",
            "validator": bool,
            "default": True,
        },
        ENABLE_PLUGINS_SCHEDULE: {
            "name": "Enable schedule integration",
            "description": "Run the scheduled tasks of active plugins",
            "validator": bool,
            "default": True,
        },
        ENABLE_PLUGINS_ACTIONS: {
            "name": "Enable action integration",
            "description": "Answer POST /api/action/ with the actions of active plugins",
            "validator": bool,
            "default": True,
        },
        ENABLE_PLUGINS_NAVIGATION: {
            "name": "Enable navigation integration",
            "description": "List the navigation links of active plugins",
            "validator": bool,
            "default": True,
        },
        # InvenTree's global setting of the same name.
        CURRENCY_UPDATE_PLUGIN: {
            "name": "Currency update plugin",
            "description": "Key of the currency exchange plugin that gives exchange rates "
            "(empty: the first active one)",
            "default": "",
        },
    }

    def is_enabled(self, switch: str) -> bool:
        """Return whether the switch ``switch`` (one of this plugin's setting keys) is on."""
        return self.get_setting(switch) is True
