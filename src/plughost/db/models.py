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

    # InvenTree's MetadataMixin API, which plugins call on their own config.
    def get_metadata(self, key: str, backup_value: object = None) -> object:
        """Return the metadata value stored under ``key``, or ``backup_value``."""
        metadata = self.metadata if isinstance(self.metadata, dict) else {}
        return metadata.get(key, backup_value)

    def set_metadata(self, key: str, value: object, commit: bool = True) -> None:
        """Store ``value`` under ``key`` in the metadata; save that field when ``commit``."""
        if not isinstance(self.metadata, dict):
            self.metadata = {}
        self.metadata[key] = value
        if commit:
            self.save(update_fields=["metadata"])


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
    # What the last state changes did, each "\n<version> =+key" (or =-key) for a change that
    # stored one active flag; only the end is kept (plughost.services.state.recent_changes).
    # A process a few changes behind learns them here instead of reading every config row.
    recent_changes = models.TextField(blank=True, default="")
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
    role = models.CharField(
        max_length=20, default="server", help_text="'server' (gunicorn worker) or 'worker' (tasks)"
    )
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


class PluginPackage(models.Model):
    """One package of the desired set: installed through the API, reinstalled where missing.

    ``requirement`` is a plain requirement line (what ``plugins.txt`` mirrors); the index
    it came from is kept apart and may hold credentials, so it is never returned by the API.
    """

    name = models.CharField(max_length=255, unique=True, help_text="Canonical project name")
    requirement = models.CharField(
        max_length=2000, help_text="Plain requirement line, as in plugins.txt"
    )
    index_url = models.CharField(
        max_length=2000, blank=True, default="", help_text="Package index it was installed from"
    )
    version = models.CharField(max_length=100, blank=True, default="", help_text="Installed")
    allow_host_changes = models.BooleanField(
        default=False, help_text="It was installed although it changes the host's packages"
    )
    installed_at = models.DateTimeField()
    installed_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        """Return the requirement line."""
        return self.requirement


class InstallFailure(models.Model):
    """Why the last install of a package was rolled back (``status/`` shows it).

    Kept until the package is installed successfully or uninstalled.
    """

    package = models.CharField(max_length=255, unique=True, help_text="Canonical project name")
    stage = models.CharField(max_length=20, help_text="Registry stage that failed")
    name = models.CharField(max_length=255, help_text="Plugin key or package that failed")
    message = models.TextField()
    created = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["created", "id"]

    def __str__(self) -> str:
        """Return ``package: message``."""
        return f"{self.package}: {self.message}"


class AuditAction(models.TextChoices):
    """What an audit entry records."""

    INSTALL = "install", "install"
    DRY_RUN = "dry_run", "dry run"
    UNINSTALL = "uninstall", "uninstall"
    ACTIVATE = "activate", "activate"
    DEACTIVATE = "deactivate", "deactivate"
    SETTING = "setting", "setting change"


class AuditResult(models.TextChoices):
    """How the audited operation ended."""

    OK = "ok", "ok"
    FAILED = "failed", "failed"


class AuditEntry(models.Model):
    """One administrative change (or attempt): who, when, what, from where, and the result."""

    created = models.DateTimeField(db_index=True)
    user = models.CharField(max_length=150, blank=True, default="")
    address = models.CharField(max_length=100, blank=True, default="")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target = models.CharField(max_length=500, help_text="Plugin key, package or plugin:SETTING")
    result = models.CharField(max_length=10, choices=AuditResult.choices)
    message = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        """Return ``user action target: result``."""
        return f"{self.user} {self.action} {self.target}: {self.result}"


class EventDeliveryStats(models.Model):
    """How often one plugin was handed an event, and how often its handler failed.

    Written by the task worker after each delivery, with ``F()`` increments, so the counts
    stay exact when several workers deliver at once.
    """

    key = models.CharField(max_length=255, unique=True, help_text="Plugin key")
    delivered = models.PositiveBigIntegerField(default=0, help_text="Handled without error")
    failed = models.PositiveBigIntegerField(default=0, help_text="Raised or timed out")
    last_event = models.CharField(max_length=100, blank=True, default="")
    last_delivered = models.DateTimeField(null=True, blank=True)
    last_failed = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["key"]
        verbose_name_plural = "event delivery stats"

    def __str__(self) -> str:
        """Return ``key: delivered/failed``."""
        return f"{self.key}: {self.delivered}/{self.failed}"


class RuntimeFailure(models.Model):
    """A loaded plugin's code failed while the server ran: in an event handler, a URL view,
    an action or a currency refresh (load failures are registry errors instead).

    One row per plugin and stage, counting, with the latest message; ``status/`` lists the
    recent ones beside the registry errors.
    """

    key = models.CharField(max_length=255, help_text="Plugin key")
    stage = models.CharField(max_length=40, help_text="Where it failed: event, url, or a method")
    message = models.TextField(blank=True, default="")
    count = models.PositiveBigIntegerField(default=0)
    last = models.DateTimeField(help_text="When it last failed")

    class Meta:
        ordering: ClassVar[list[str]] = ["-last", "key"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["key", "stage"], name="runtime_failure_per_stage")
        ]

    def __str__(self) -> str:
        """Return ``key at stage: count``."""
        return f"{self.key} at {self.stage}: {self.count}"


class SentNotice(models.Model):
    """A notification already sent, by fingerprint, so no other process repeats it soon."""

    fingerprint = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=200)
    sent = models.DateTimeField()

    def __str__(self) -> str:
        """Return the subject."""
        return self.subject


class ExchangeRate(models.Model):
    """One currency's rate against a base currency, as a CurrencyExchangeMixin plugin gave it."""

    base = models.CharField(max_length=3, help_text="Base currency (ISO 4217 code)")
    currency = models.CharField(max_length=3, help_text="Currency (ISO 4217 code)")
    rate = models.FloatField(help_text="Units of `currency` for one unit of `base`")
    updated = models.DateTimeField(help_text="When the plugin gave this rate")
    plugin = models.CharField(max_length=255, help_text="Key of the plugin that gave it")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["base", "currency"], name="unique_exchange_rate")
        ]
        ordering: ClassVar[list[str]] = ["base", "currency"]

    def __str__(self) -> str:
        """Return ``1 BASE = rate CURRENCY``."""
        return f"1 {self.base} = {self.rate} {self.currency}"
