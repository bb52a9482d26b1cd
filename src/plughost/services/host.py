"""The host as plugins see it: their config, active state and settings, read from the database."""

from __future__ import annotations

from django.conf import settings

from plughost.db.models import PluginConfig
from plughost.runtime import holder
from plughost.services import plugin_settings


class DatabaseHost:
    """Answer a plugin's questions from the stored state (a ``core.plugin.PluginHost``)."""

    @property
    def host_version(self) -> str:
        """Return the InvenTree-compatible version this host reports."""
        return str(settings.PLUGHOST_HOST_VERSION)

    def is_active(self, key: str) -> bool:
        """Return the stored active flag of ``key``."""
        return PluginConfig.objects.filter(key=key, active=True).exists()

    def get_setting(self, key: str, setting: str) -> object:
        """Return the typed value of a setting (raise UnknownSettingError for an undeclared one).

        Values are cached per process until the stored settings version moves, so plugin
        code may read settings on every request without a query each time.
        """
        return holder.cached_setting(
            key, setting, lambda: plugin_settings.read_typed_value(holder.current(), key, setting)
        )

    def set_setting(self, key: str, setting: str, value: object) -> None:
        """Validate and store a setting."""
        plugin_settings.update_setting(key, setting, value)

    def get_config(self, key: str) -> PluginConfig | None:
        """Return the stored config of ``key``."""
        return PluginConfig.objects.filter(key=key).first()


host = DatabaseHost()
