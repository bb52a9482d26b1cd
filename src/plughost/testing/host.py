"""The in-process host behind the ``plugin_host`` fixture (imported once Django is set up)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from plughost.core.plugin import InvenTreePlugin
from plughost.core.registry import Registry
from plughost.runtime import holder
from plughost.services import plugin_settings
from plughost.services import plugins as plugin_service
from plughost.services.registry import Discovery, current_registry, rebuild

ADMIN_USER = "admin"


@dataclass
class PluginTestHost:
    """The host a test talks to: its registry, its plugins, and an API client."""

    client: APIClient
    admin: User

    @property
    def registry(self) -> Registry:
        """Return the current registry snapshot."""
        return current_registry()

    def plugin(self, key: str) -> InvenTreePlugin:
        """Return the loaded plugin ``key``; fail the test when it is not loaded."""
        plugin = self.registry.find_plugin(key)
        if plugin is None:
            errors = [
                f"{e.stage.value}: {e.message}" for e in self.registry.errors if e.name == key
            ]
            pytest.fail(f"plugin {key!r} is not loaded; its errors: {errors or 'none'}")
        return plugin

    def activate(self, key: str) -> InvenTreePlugin:
        """Activate ``key`` as the API does, and return its loaded instance."""
        plugin_service.activate(key)
        return self.plugin(key)

    def deactivate(self, key: str) -> None:
        """Deactivate ``key`` as the API does."""
        plugin_service.deactivate(key)

    def set_setting(self, key: str, setting: str, value: object) -> None:
        """Store a setting of plugin ``key`` as the settings API does (validated)."""
        plugin_settings.update_setting(key, setting, value)

    def reload(self) -> Registry:
        """Rediscover plugins and rebuild the registry."""
        return rebuild(Discovery.RECOLLECT)


def reset() -> None:
    """Forget this process's registry (each test starts from its own database)."""
    holder.reset()


def start_host(plugin_classes: Sequence[type[InvenTreePlugin]], *, active: bool) -> PluginTestHost:
    """Build the registry, activate ``plugin_classes`` unless told not to, log a client in."""
    reset()
    rebuild(Discovery.RECOLLECT)
    if active:
        for cls in plugin_classes:
            plugin_service.activate(cls.plugin_key())
    admin = User.objects.filter(username=ADMIN_USER).first() or User.objects.create_superuser(
        ADMIN_USER, password=None
    )
    token, _ = Token.objects.get_or_create(user=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return PluginTestHost(client=client, admin=admin)
