"""InvenTree's ``plugin.registry``: ``registry`` and ``call_function``, over plughost's registry.

``registry`` holds no state of its own. Every call reads this process's current snapshot
(``plughost.services.registry.current_registry()``), so it always answers with what the
host has loaded, and changes go through plughost's services like any API call.

Differences from InvenTree, all from plughost loading only active plugins: ``plugins`` and
``plugins_full`` both hold the loaded (active) plugins, ``get_plugin(key, active=False)``
and ``with_mixin(..., active=False)`` find nothing.
"""

from __future__ import annotations

from typing import Any

from plughost.core.plugin import InvenTreePlugin
from plughost.core.registry import Registry
from plughost.services import plugins as plugin_service
from plughost.services.registry import Discovery, current_registry, reload_registry


class PluginRegistry:
    """The calls InvenTree plugins and their tests make on ``plugin.registry.registry``."""

    @property
    def snapshot(self) -> Registry:
        """Return plughost's current registry snapshot."""
        return current_registry()

    @property
    def plugins(self) -> dict[str, InvenTreePlugin]:
        """Return the loaded plugins by key."""
        return dict(current_registry().instances)

    @property
    def plugins_full(self) -> dict[str, InvenTreePlugin]:
        """Return the loaded plugins by key (plughost instantiates only active plugins)."""
        return self.plugins

    @property
    def errors(self) -> dict[str, list[dict[str, str]]]:
        """Return the registry errors as InvenTree groups them: ``{stage: [{name: message}]}``."""
        grouped: dict[str, list[dict[str, str]]] = {}
        for error in current_registry().errors:
            grouped.setdefault(error.stage.value, []).append({error.name: error.message})
        return grouped

    def get_plugin(self, slug: str, active: bool | None = None) -> InvenTreePlugin | None:
        """Return the loaded plugin ``slug``, or None (``active=False`` never finds one)."""
        plugin = current_registry().find_plugin(slug)
        if plugin is None or active is False:
            return None
        return plugin

    def with_mixin(
        self, mixin: str, active: bool | None = True, builtin: bool | None = None
    ) -> list[InvenTreePlugin]:
        """Return the loaded plugins whose mixin ``mixin`` is enabled, in discovery order."""
        if active is False:
            return []
        found = current_registry().with_mixin(str(mixin).lower().strip())
        if builtin is not None:
            found = [plugin for plugin in found if plugin.is_builtin == builtin]
        return found

    def is_plugin_active(self, slug: str) -> bool:
        """Return whether ``slug`` is loaded (plughost loads exactly the active plugins)."""
        return current_registry().is_loaded(slug)

    def call_plugin_function(self, slug: str, func: str, *args: Any, **kwargs: Any) -> Any:
        """Call method ``func`` of the loaded plugin ``slug``; None when it is not loaded."""
        plugin = self.get_plugin(slug)
        if plugin is None:
            return None
        return getattr(plugin, func)(*args, **kwargs)

    def set_plugin_state(self, slug: str, state: bool) -> None:
        """Activate or deactivate ``slug`` (as the API does) and reload."""
        if state:
            plugin_service.activate(slug)
        else:
            plugin_service.deactivate(slug)

    def reload_plugins(
        self, full_reload: bool = False, force_reload: bool = False, collect: bool = False
    ) -> None:
        """Rebuild the registry everywhere; ``collect`` rediscovers plugins first."""
        del full_reload, force_reload  # one rebuild does everything either asked for
        reload_registry(Discovery.RECOLLECT if collect else Discovery.REUSE)


registry = PluginRegistry()


def __getattr__(name: str) -> Any:
    """Answer registry calls made on this module itself.

    Once ``plugin.registry`` is imported, Python binds the package attribute ``registry`` to
    this module, so ``from plugin import registry`` gives the module, not the object; the
    module then passes what it lacks (``get_plugin``, ``plugins``...) to the object.
    """
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(registry, name)


def call_function(plugin_name: str, function_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``function_name`` of plugin ``plugin_name`` (InvenTree's task entry point)."""
    return registry.call_plugin_function(plugin_name, function_name, *args, **kwargs)


__all__ = ["PluginRegistry", "call_function", "registry"]
