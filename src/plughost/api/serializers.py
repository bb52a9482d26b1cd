"""Serializers of the plugin API; class names give the contract's component names.

Responses of the hot read paths are built by ``api/rendering.py`` from the registry
snapshot; these serializers validate input and describe the schema.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from plughost.api.cleaning import StrictJsonTypes
from plughost.db.models import AuditEntry, PluginConfig


class PluginConfigSerializer(StrictJsonTypes, serializers.ModelSerializer[PluginConfig]):
    """Serializer for a PluginConfig."""

    meta = serializers.DictField(read_only=True)
    mixins = serializers.DictField(read_only=True)
    is_builtin = serializers.BooleanField(
        read_only=True, help_text="Return True if this is a 'builtin' plugin."
    )
    is_sample = serializers.BooleanField(read_only=True, help_text="Is this plugin a sample app?")
    is_installed = serializers.BooleanField(
        read_only=True,
        help_text="Simple check to determine if this plugin is installed.\n\n"
        "A plugin might not be installed if it has been removed from the system,\n"
        "but the PluginConfig associated with it still exists.",
    )
    is_package = serializers.BooleanField(
        read_only=True, help_text="Return True if this is a 'package' plugin."
    )

    class Meta:
        model = PluginConfig
        fields = (
            "pk",
            "key",
            "name",
            "package_name",
            "active",
            "meta",
            "mixins",
            "is_builtin",
            "is_sample",
            "is_installed",
            "is_package",
        )
        read_only_fields = ("key",)


class PluginActivateSerializer(StrictJsonTypes, serializers.Serializer[Any]):
    """Serializer for activating or deactivating a plugin."""

    active = serializers.BooleanField(
        default=True, label="Activate Plugin", help_text="Activate this plugin"
    )
    # Not read-only: the schema would then list it as always present (it is not).
    restart_required = serializers.BooleanField(
        required=False,
        help_text="In answers only: present and true when the plugin's Django app (AppMixin) "
        "is added only by a server restart (Plughost).",
    )


class PluginUninstallSerializer(StrictJsonTypes, serializers.Serializer[Any]):
    """Serializer for uninstalling a plugin."""

    delete_config = serializers.BooleanField(
        default=True,
        label="Delete configuration",
        help_text="Delete the plugin configuration from the database",
    )


class PluginConfigInstallSerializer(StrictJsonTypes, serializers.Serializer[Any]):
    """Serializer for installing a new plugin."""

    url = serializers.CharField(
        required=False,
        allow_blank=True,
        label="Source URL",
        help_text="Source for the package - this can be a custom registry or a VCS path",
    )
    packagename = serializers.CharField(
        required=False,
        allow_blank=True,
        label="Package Name",
        help_text="Name for the Plugin Package - can also contain a version indicator",
    )
    version = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Version specifier for the plugin. Leave blank for latest version.",
    )
    confirm = serializers.BooleanField(
        label="Confirm plugin installation",
        help_text="This will install this plugin now into the current instance. "
        "The instance will go into maintenance.",
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Resolve without installing: answer what would be installed, upgraded or "
        "downgraded (a Plughost extension).",
    )
    allow_host_changes = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Allow an install that changes packages the host depends on "
        "(a Plughost extension; refused by default).",
    )

    def validate_confirm(self, value: bool) -> bool:
        """Refuse an unconfirmed install."""
        if not value:
            raise serializers.ValidationError("Installation not confirmed")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Require a package name or a URL."""
        if not attrs.get("packagename") and not attrs.get("url"):
            message = "Either packagename of URL must be provided"
            raise serializers.ValidationError({"url": [message], "packagename": [message]})
        return attrs


class PluginReloadSerializer(StrictJsonTypes, serializers.Serializer[Any]):
    """Serializer for remotely forcing plugin registry reload."""

    full_reload = serializers.BooleanField(
        default=False, help_text="Perform a full reload of the plugin registry"
    )
    force_reload = serializers.BooleanField(
        default=False,
        help_text="Force a reload of the plugin registry, even if it is already loaded",
    )
    collect_plugins = serializers.BooleanField(
        default=False, help_text="Collect plugins and add them to the registry"
    )


class PluginRegistryErrorSerializer(serializers.Serializer[Any]):
    """Serializer for a plugin registry error."""

    stage = serializers.CharField()
    name = serializers.CharField()
    message = serializers.CharField()


class NodeReconcileSerializer(serializers.Serializer[Any]):
    """A node's last attempt to match the desired set of plugin packages."""

    ok = serializers.BooleanField(allow_null=True)
    result = serializers.CharField()
    at = serializers.DateTimeField()


class NodeProcessSerializer(serializers.Serializer[Any]):
    """What one server process of one node last reported (a Plughost extension)."""

    node = serializers.CharField()
    pid = serializers.IntegerField()
    role = serializers.CharField(help_text="'server' (answers HTTP) or 'worker' (runs tasks)")
    hostname = serializers.CharField()
    registry_version = serializers.IntegerField()
    packages = serializers.DictField(child=serializers.CharField())
    last_reconcile = NodeReconcileSerializer(allow_null=True)
    heartbeat = serializers.DateTimeField()
    stale = serializers.BooleanField()


class PluginRuntimeErrorSerializer(serializers.Serializer[Any]):
    """One plugin's failures at one stage while the server ran (Plughost)."""

    stage = serializers.CharField()
    name = serializers.CharField(help_text="Plugin key")
    message = serializers.CharField(help_text="The latest failure's message")
    count = serializers.IntegerField()
    last = serializers.DateTimeField(help_text="When it last failed")


class PluginRegistryStatusSerializer(serializers.Serializer[Any]):
    """Serializer for plugin registry status."""

    active_plugins = serializers.IntegerField(read_only=True)
    registry_errors = PluginRegistryErrorSerializer(many=True)
    registry_version = serializers.IntegerField(
        required=False, help_text="The registry version this process has loaded (Plughost)."
    )
    runtime_errors = PluginRuntimeErrorSerializer(
        many=True,
        required=False,
        help_text=(
            "Failures of loaded plugins while the server ran, in the last 24 hours: in an "
            "event handler (stage 'event'), a URL view ('url') or a called method (Plughost)."
        ),
    )
    nodes = NodeProcessSerializer(
        many=True,
        required=False,
        help_text="Every server process's last report; stale ones stopped reporting (Plughost).",
    )


class PluginSettingSerializer(serializers.Serializer[Any]):
    """Serializer for the PluginSetting model."""

    pk = serializers.IntegerField(read_only=True, label="ID")
    key = serializers.CharField(read_only=True)
    value = serializers.CharField()
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True)
    choices = serializers.ListField(
        read_only=True, help_text="Returns the choices available for a given item."
    )
    model_name = serializers.CharField(read_only=True)
    api_url = serializers.CharField(read_only=True)
    typ = serializers.CharField(read_only=True)
    # The contract's field name shadows ``Field.required`` (a bool) in the stubs.
    required = serializers.BooleanField(read_only=True)  # type: ignore[assignment]
    plugin = serializers.CharField(read_only=True)


class MetadataSerializer(serializers.Serializer[Any]):
    """Serializer class for model metadata API access."""

    metadata = serializers.JSONField()


class PluginAuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    """One audit entry: who changed what, when, from which address, and the result."""

    class Meta:
        model = AuditEntry
        fields = ("pk", "created", "user", "address", "action", "target", "result", "message")
        read_only_fields = fields
