"""Read and write plugin settings: typed, validated, stored as strings."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from plughost.core.definition import PluginDefinition
from plughost.core.errors import InvalidSettingValueError, PluginNotFoundError, UnknownSettingError
from plughost.core.registry import Registry
from plughost.core.settings import SettingSpec, SettingType
from plughost.db.models import AuditAction, PluginConfig, PluginSetting
from plughost.runtime import holder
from plughost.services.audit import Actor, audited
from plughost.services.events import PLUGIN_SETTING_SAVED, trigger_event
from plughost.services.state import Change, bump_version
from plughost.services.validation import field_deltas, validate_instance


@dataclass(frozen=True)
class SettingView:
    """A stored setting with its definition (None when the plugin no longer declares it)."""

    row: PluginSetting
    spec: SettingSpec | None
    plugin_key: str


def get_definition(registry: Registry, key: str) -> tuple[PluginConfig, PluginDefinition]:
    """Return the config and definition of an installed plugin; raise PluginNotFoundError."""
    stored = holder.snapshot.configs.get(key)
    definition = registry.find_definition(key)
    if stored is None or definition is None:
        raise PluginNotFoundError(f"Plugin '{key}' not installed", key=key)
    # The snapshot's row, as an instance whose other fields (metadata) load only if read.
    fields = ("id", "key", "name", "package_name", "active")
    config = PluginConfig.from_db(None, list(fields), [stored[name] for name in fields])
    return config, definition


def list_plugin_settings(registry: Registry, key: str) -> list[SettingView]:
    """Return the declared settings of plugin ``key`` in declaration order, hidden ones left out.

    A hidden setting can still be read and written by its key.
    """
    config, definition = get_definition(registry, key)
    rows = {row.key.upper(): row for row in PluginSetting.objects.filter(plugin=config)}
    views = []
    for setting_key, spec in definition.settings.items():
        if spec.hidden:
            continue
        row = rows.get(setting_key.upper()) or _create_row(config, spec)
        row.plugin = config
        views.append(SettingView(row=row, spec=spec, plugin_key=key))
    return views


def get_setting(registry: Registry, key: str, setting: str) -> SettingView:
    """Return one setting (keys match case-insensitively); raise the not-found errors."""
    config, definition = get_definition(registry, key)
    spec = definition.find_setting(setting)
    if spec is None:
        raise UnknownSettingError(
            f"Plugin '{key}' has no setting matching '{setting}'", key=key, setting=setting
        )
    row = PluginSetting.objects.filter(plugin=config, key=spec.key.upper()).first()
    if row is None:
        row = _create_row(config, spec)
    row.plugin = config
    return SettingView(row=row, spec=spec, plugin_key=key)


def read_typed_value(registry: Registry, key: str, setting: str) -> object:
    """Return a setting's typed value (what ``plugin.get_setting`` returns)."""
    view = get_setting(registry, key, setting)
    assert view.spec is not None
    return view.spec.to_python(view.row.value)


def update_setting(
    key: str,
    setting: str,
    raw: object,
    *,
    registry: Registry | None = None,
    actor: Actor | None = None,
) -> SettingView:
    """Validate ``raw`` and store it; raise InvalidSettingValueError naming the setting.

    A change with an ``actor`` (an API request) is written to the audit log.
    """
    with audited(AuditAction.SETTING, f"{key}:{setting.upper()}", actor) as note:
        view = _update_setting(key, setting, raw, registry=registry)
        trigger_event(PLUGIN_SETTING_SAVED, plugin=key, setting=view.row.key)
        note.message = (
            "value set (protected)" if view.row.protected else f"value set to {view.row.value!r}"
        )
        return view


def _update_setting(
    key: str, setting: str, raw: object, *, registry: Registry | None
) -> SettingView:
    view = get_setting(registry or holder.current(), key, setting)
    spec = view.spec
    assert spec is not None
    stored = spec.clean(raw)
    if spec.type is SettingType.MODEL:
        _check_model_reference(spec, stored)
    with transaction.atomic():
        row = PluginSetting.objects.select_for_update().filter(pk=view.row.pk).first() or view.row
        previous = row.value
        row.value = stored
        row.protected = spec.protected
        row.plugin = view.row.plugin
        validate_instance(
            registry or holder.current(),
            row,
            field_deltas({"value": (previous, stored)}),
            field="value",
        )
        row.save(update_fields=["value", "protected"] if row.pk else None)
        versions = bump_version(Change.SETTINGS)
    holder.clear_settings(versions.settings_version)
    row.plugin = view.row.plugin
    return SettingView(row=row, spec=spec, plugin_key=key)


def _check_model_reference(spec: SettingSpec, stored: str) -> None:
    """A model setting holds the pk of an existing object, or nothing."""
    if stored == "":
        return
    assert spec.model is not None
    app_label, model_name = spec.model.split(".")
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as exc:
        raise InvalidSettingValueError(
            f"The model '{spec.model}' of this setting does not exist on this host",
            setting=spec.key,
        ) from exc
    if not stored.isdigit() or not model._default_manager.filter(pk=int(stored)).exists():
        raise InvalidSettingValueError(
            f"No {model._meta.verbose_name} with id {stored!r} exists", setting=spec.key
        )


def _create_row(config: PluginConfig, spec: SettingSpec) -> PluginSetting:
    """Create a missing row with the default (rows normally exist from registration)."""
    row, _ = PluginSetting.objects.get_or_create(
        plugin=config,
        key=spec.key.upper(),
        defaults={
            "value": spec.default_value(),
            "protected": spec.protected,
            "hidden": spec.hidden,
        },
    )
    return row
