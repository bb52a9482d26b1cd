"""The navigation links of ``NavigationMixin`` plugins (InvenTree's classic-UI tab links)."""

from __future__ import annotations

from dataclasses import dataclass

from plughost.core.mixins import NavigationMixin
from plughost.core.registry import Registry
from plughost.services.switches import ENABLE_PLUGINS_NAVIGATION, is_switch_on


@dataclass(frozen=True)
class NavigationLink:
    """One link: its label, InvenTree's URL name, and an icon."""

    name: str
    link: str
    icon: str | None


@dataclass(frozen=True)
class Navigation:
    """A plugin's tab: name, icon and links (no links when it contributes none)."""

    key: str
    name: str
    icon: str
    links: tuple[NavigationLink, ...]


def get_navigation(registry: Registry, key: str) -> Navigation:
    """Return the navigation of plugin ``key``; raise PluginNotFoundError for an unknown key.

    A plugin that is not loaded, has no navigation mixin, or runs while the host switch
    ``ENABLE_PLUGINS_NAVIGATION`` is off contributes no links.
    """
    definition = registry.get_definition(key)
    plugin = registry.find_plugin(key)
    if not isinstance(plugin, NavigationMixin):
        return Navigation(key=key, name="", icon=NavigationMixin.NAVIGATION_TAB_ICON, links=())
    links: tuple[NavigationLink, ...] = ()
    if is_switch_on(registry, ENABLE_PLUGINS_NAVIGATION):
        links = tuple(
            NavigationLink(
                name=str(entry["name"]),
                link=str(entry["link"]),
                icon=str(entry["icon"]) if entry.get("icon") else None,
            )
            for entry in plugin.NAVIGATION
        )
    return Navigation(
        key=definition.key,
        name=plugin.navigation_name,
        icon=plugin.NAVIGATION_TAB_ICON,
        links=links,
    )
