"""``POST /api/action/``: hand an action to the active plugin that answers its name."""

from __future__ import annotations

from plughost.core.errors import PluginCallError
from plughost.core.mixins import ActionMixin
from plughost.core.registry import Registry
from plughost.services.failures import record_runtime_failure
from plughost.services.switches import ENABLE_PLUGINS_ACTIONS, is_switch_on

NO_ACTION = "No action specified"
NO_MATCH = "No matching action found"


def find_action_plugin(registry: Registry, action: object) -> ActionMixin | None:
    """Return the loaded plugin whose ``action_name()`` equals ``action``, or None.

    None too when the host switch ``ENABLE_PLUGINS_ACTIONS`` is off.
    """
    if not is_switch_on(registry, ENABLE_PLUGINS_ACTIONS):
        return None
    for plugin in registry.with_mixin("action"):
        if isinstance(plugin, ActionMixin) and plugin.action_name() == action:
            return plugin
    return None


def run_action(registry: Registry, action: object, data: object, user: object) -> dict[str, object]:
    """Perform ``action`` and return InvenTree's body for it (always a body, never an error).

    Raises PluginCallError when the plugin's own code raises.
    """
    if action is None:
        return {"error": NO_ACTION}
    plugin = find_action_plugin(registry, action)
    if plugin is None:
        return {"error": NO_MATCH, "action": action}
    method = "perform_action"
    try:
        plugin.perform_action(user, data=data)
        method = "get_response"
        return plugin.get_response(user, data=data)
    except Exception as exc:
        message = f"Plugin '{plugin.slug}' failed in {method}(): {type(exc).__name__}: {exc}"
        record_runtime_failure(plugin.slug, method, message)
        raise PluginCallError(message, key=plugin.slug, method=method) from exc
