"""The stored state of the plugin host: plugin configs, their settings, the registry version.

Models are plain: no side effects in ``save()``; only ``plughost.services`` writes them.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class PluginConfig(models.Model):
    """The stored state of one plugin, keyed as the API keys it (InvenTree's PluginConfig)."""

    key = models.CharField(
        max_length=255, unique=True, verbose_name="Key", help_text="Key of plugin"
    )
    # The contract types name and package_name as nullable strings (InvenTree's columns).
    name = models.CharField(  # noqa: DJ001
        max_length=255,
        null=True,
        blank=True,
        verbose_name="Name",
        help_text="PluginName of the plugin",
    )
    package_name = models.CharField(  # noqa: DJ001
        max_length=255,
        null=True,
        blank=True,
        verbose_name="Package Name",
        help_text="Name of the installed package, if the plugin was installed via PIP",
    )
    active = models.BooleanField(
        default=False, verbose_name="Active", help_text="Is the plugin active"
    )
    metadata = models.JSONField(default=dict, blank=True, verbose_name="Plugin Metadata")

    class Meta:
        verbose_name = "Plugin Configuration"
        verbose_name_plural = "Plugin Configurations"
        ordering: ClassVar[list[str]] = ["key"]

    def __str__(self) -> str:
        """Return the key, as admin lists show it."""
        return self.key


class PluginSetting(models.Model):
    """One stored setting value of one plugin; values are strings, as InvenTree stores them."""

    plugin = models.ForeignKey(
        PluginConfig, on_delete=models.CASCADE, related_name="settings", verbose_name="Plugin"
    )
    key = models.CharField(max_length=50, verbose_name="Key")
    value = models.CharField(max_length=2000, blank=True, verbose_name="Value")
    protected = models.BooleanField(
        default=False, help_text="Mask the value in every response (kept from the definition)"
    )
    hidden = models.BooleanField(
        default=False, help_text="Leave out of setting lists (kept from the definition)"
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["plugin", "key"], name="unique_plugin_setting_key")
        ]
        ordering: ClassVar[list[str]] = ["plugin_id", "id"]

    def __str__(self) -> str:
        """Return ``plugin:KEY``."""
        return f"{self.plugin_id}:{self.key}"


class RegistryState(models.Model):
    """A single row whose version every plugin state change increments (all processes poll it)."""

    version = models.BigIntegerField(default=0)
    collect_version = models.BigIntegerField(
        default=0, help_text="Incremented when the set of installed plugins changes (rediscover)"
    )
    settings_version = models.BigIntegerField(
        default=0, help_text="Incremented when a plugin setting changes (clears setting caches)"
    )
    changed = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        """Return the version."""
        return f"registry v{self.version}"


class InstallLock(models.Model):
    """A single row that serialises installs and uninstalls across every process and node.

    ``holder`` is empty when free. A holder whose ``expires`` has passed (its process died)
    may be taken over, so a crash never leaves the lock held for good.
    """

    holder = models.CharField(max_length=200, blank=True, default="")
    operation = models.CharField(max_length=200, blank=True, default="")
    expires = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        """Return who holds the lock."""
        return self.holder or "free"


class NodeProcess(models.Model):
    """What one server process of one node last reported (``status/`` shows these)."""

    node = models.CharField(max_length=100, help_text="The node's id (one per data dir)")
    pid = models.IntegerField()
    hostname = models.CharField(max_length=255, blank=True, default="")
    registry_version = models.BigIntegerField(default=-1)
    packages = models.JSONField(default=dict, blank=True)
    reconcile_result = models.CharField(max_length=2000, blank=True, default="")
    reconcile_ok = models.BooleanField(null=True)
    reconciled = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(auto_now_add=True)
    heartbeat = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["node", "pid"], name="unique_node_process")
        ]
        ordering: ClassVar[list[str]] = ["node", "pid"]

    def __str__(self) -> str:
        """Return ``node:pid``."""
        return f"{self.node}:{self.pid}"
