"""Read and write plugin settings: typed, validated, stored as strings."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from django.apps import apps
from django.db import connection, models, transaction

from plughost.core.definition import PluginDefinition
from plughost.core.errors import (
    InvalidSettingValueError,
    PluginError,
    PluginNotFoundError,
    UnknownSettingError,
)
from plughost.core.registry import Registry
from plughost.core.settings import SettingSpec, SettingType
from plughost.db.models import AuditAction, PluginConfig, PluginSetting
from plughost.runtime import holder
from plughost.runtime.holder import value_marker
from plughost.services.audit import Actor, audited
from plughost.services.configs import snapshot_config
from plughost.services.events import PLUGIN_SETTING_SAVED, trigger_event
from plughost.services.guarded_writes import (
    GUARD,
    DecideAgain,
    one_statement_writes,
    refusals_decide_again,
    write_and_bump,
)
from plughost.services.sql import fetch_rows
from plughost.services.state import Change, bump_version
from plughost.services.validation import field_deltas, validate_instance

ALL_ROWS = "all rows"
"""The cache entry of every visible stored row (the all-settings list)."""


@dataclass(frozen=True)
class StoredRow:
    """A stored setting row with its plugin's key and whether that plugin is active."""

    row: PluginSetting
    plugin_key: str
    plugin_active: bool


@dataclass(frozen=True)
class SettingView:
    """A stored setting with its definition (None when the plugin no longer declares it)."""

    row: PluginSetting
    spec: SettingSpec | None
    plugin_key: str


def get_definition(registry: Registry, key: str) -> tuple[PluginConfig, PluginDefinition]:
    """Return the config and definition of an installed plugin; raise PluginNotFoundError."""
    definition = registry.find_definition(key)
    if key not in holder.snapshot.configs or definition is None:
        raise PluginNotFoundError(f"Plugin '{key}' not installed", key=key)
    return snapshot_config(key), definition


def list_plugin_settings(registry: Registry, key: str) -> list[SettingView]:
    """Return the declared settings of plugin ``key`` in declaration order, hidden ones left out.

    A hidden setting can still be read and written by its key.
    """
    config, definition = get_definition(registry, key)
    rows = stored_rows(config)
    views = []
    for setting_key, spec in definition.settings.items():
        if spec.hidden:
            continue
        row = rows.get(setting_key.upper()) or _create_row(config, spec)
        views.append(SettingView(row=row, spec=spec, plugin_key=key))
    return views


def get_setting(registry: Registry, key: str, setting: str) -> SettingView:
    """Return one setting (keys match case-insensitively); raise the not-found errors."""
    config, definition = get_definition(registry, key)
    spec = _spec_of(definition, key, setting)
    row = stored_rows(config).get(spec.key.upper()) or _create_row(config, spec)
    return SettingView(row=row, spec=spec, plugin_key=key)


def find_spec(registry: Registry, key: str, setting: str) -> SettingSpec:
    """Return the declaration of one setting (no row read); raise the not-found errors."""
    _, definition = get_definition(registry, key)
    return _spec_of(definition, key, setting)


def _spec_of(definition: PluginDefinition, key: str, setting: str) -> SettingSpec:
    spec = definition.find_setting(setting)
    if spec is None:
        raise UnknownSettingError(
            f"Plugin '{key}' has no setting matching '{setting}'", key=key, setting=setting
        )
    return spec


def stored_rows(config: PluginConfig) -> Mapping[str, PluginSetting]:
    """Return the stored setting rows of ``config`` by upper-case key, read once per version.

    Cached in this process until a setting changes anywhere or the registry is rebuilt
    (``runtime.holder``), so reads cost no query. The rows are shared: read them, never
    change them (writes read their row afresh, under a lock).
    """

    def load() -> Mapping[str, PluginSetting]:
        return MappingProxyType({row.key.upper(): row for row in read_setting_rows(config.pk)})

    return holder.cached(rows_marker(config.pk), load)


def read_setting_rows(config_pk: int) -> list[PluginSetting]:
    """The stored setting rows of one plugin, in the model's order, by plain SQL.

    A process whose cache another worker's writes keep emptying (SQLite has no NOTIFY to
    say whose settings changed) loads these on nearly every write; building the ORM's
    query cost several times running it.
    """
    quote = connection.ops.quote_name
    table = quote(PluginSetting._meta.db_table)
    rows = fetch_rows(
        f"SELECT {_setting_columns()} FROM {table} WHERE {quote('plugin_id')} = %s "
        f"ORDER BY {quote('id')}",
        [config_pk],
    )
    return [_setting_from_row(row) for row in rows]


def _setting_columns() -> str:
    """Every column of a setting row, quoted, in the order ``_setting_from_row`` takes."""
    quote = connection.ops.quote_name
    return ", ".join(
        quote(field.column or field.attname) for field in PluginSetting._meta.concrete_fields
    )


def _setting_from_row(values: Sequence[object]) -> PluginSetting:
    """A stored setting row from its columns' values (SQLite answers booleans as 0 or 1)."""
    fields = PluginSetting._meta.concrete_fields
    return PluginSetting.from_db(
        connection.alias,
        [field.attname for field in fields],
        [
            bool(value) if isinstance(field, models.BooleanField) else value
            for field, value in zip(fields, values, strict=True)
        ],
    )


def rows_marker(config_pk: int) -> tuple[str, int]:
    """The cache entry of one plugin's stored rows."""
    return ("rows", config_pk)


def forget_plugin(key: str, version: int) -> None:
    """Setting change number ``version`` was to plugin ``key``, elsewhere: forget its settings.

    Only its rows, its values and the all-settings list go; every other plugin's cached
    settings stay. A plugin this process has no config for forgets everything.
    """
    config = holder.snapshot.configs.get(key)
    if config is None:
        holder.settings_changed(version, lambda marker: True)
        return
    rows = rows_marker(config["id"])

    def changed(marker: Hashable) -> bool:
        if marker in (ALL_ROWS, rows):
            return True
        return isinstance(marker, tuple) and marker[:2] == ("value", key)

    holder.settings_changed(version, changed)


def all_stored_rows() -> Sequence[StoredRow]:
    """Every visible stored setting with its plugin's key and state, by plugin key then id.

    Cached as :func:`stored_rows` is (the all-settings list filters and pages it).
    """

    def load() -> tuple[StoredRow, ...]:
        rows = (
            PluginSetting.objects.filter(hidden=False)
            .select_related("plugin")
            .order_by("plugin__key", "id")
        )
        return tuple(StoredRow(row, row.plugin.key, row.plugin.active) for row in rows)

    return holder.cached(ALL_ROWS, load, per_snapshot=True)


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
    decided_on: tuple[int, int] | None = None,
) -> SettingView:
    """Validate ``raw`` and store it; raise InvalidSettingValueError naming the setting.

    A change with an ``actor`` (an API request) is written to the audit log.
    ``decided_on``: the ``(version, collect_version)`` that ``registry`` was built from,
    when nobody checked that they are still the stored ones (``registry.decide_write``).
    The write then happens only as one statement that checks them; anything else (they
    moved, the row is missing, the value is refused) raises DecideAgain, having done and
    recorded nothing, as a refusal decided on an older registry may be wrong.
    """
    registry = registry or holder.current()
    target = f"{key}:{setting.upper()}"
    with holder.local_write():
        write = _one_statement_write(registry, key, setting)
        if write is not None:
            view = _update_in_one_statement(write, raw, target, actor, decided_on=decided_on)
            if view is not None:
                trigger_event(PLUGIN_SETTING_SAVED, plugin=key, setting=view.row.key)
                return view
        if decided_on is not None:  # only the one statement checks them
            raise DecideAgain
        with audited(AuditAction.SETTING, target, actor, together=True) as note:
            view = _update_setting(registry, key, setting, raw)
            trigger_event(PLUGIN_SETTING_SAVED, plugin=key, setting=view.row.key)
            note.message = _audit_message(view.row.value, protected=view.row.protected)
            return view


def _audit_message(value: str, *, protected: bool) -> str:
    return "value set (protected)" if protected else f"value set to {value!r}"


@dataclass(frozen=True)
class _Write:
    """What a setting write needs, found before it stores anything."""

    key: str
    config: PluginConfig
    spec: SettingSpec
    rows: Mapping[str, PluginSetting] | None  # the plugin's cached rows, as of ``since``
    vetted: bool  # a validation plugin is handed the old value, which only a locked read gives
    since: tuple[int, int]

    @property
    def cached(self) -> PluginSetting | None:
        """The cached row to write; None: read afresh under a lock (vetted, or not cached)."""
        if self.vetted or self.rows is None:
            return None
        return self.rows.get(self.spec.key.upper())

    @property
    def markers(self) -> list[Hashable]:
        """The cache entries the write changes."""
        return [rows_marker(self.config.pk), ALL_ROWS, value_marker(self.key, self.spec.key)]

    def clean(self, raw: object) -> str:
        """Return ``raw`` as stored; raise InvalidSettingValueError naming the setting."""
        stored = self.spec.clean(raw)
        if self.spec.type is SettingType.MODEL:
            _check_model_reference(self.spec, stored)
        return stored

    def cache_written(self, row: PluginSetting, version: int) -> None:
        """After the commit: the plugin's cached rows go back with ``row`` in place."""
        replaced: dict[Hashable, object] | None = None
        if self.rows is not None:
            after = MappingProxyType({**self.rows, self.spec.key.upper(): row})
            replaced = {rows_marker(self.config.pk): after}
        holder.written_here(self.markers, version, replaced=replaced, since=self.since)


def _prepare(registry: Registry, key: str, setting: str, *, read_rows: bool = True) -> _Write:
    """Find the config, the declaration and the cached rows; raise the not-found errors.

    ``read_rows``: read the plugin's rows when they are not cached (else leave them out).
    """
    config, definition = get_definition(registry, key)
    spec = _spec_of(definition, key, setting)
    since = holder.cache_state()  # before the rows are read: what they are the state of
    rows = stored_rows(config) if read_rows else holder.peek(rows_marker(config.pk))
    return _Write(key, config, spec, rows, bool(registry.with_mixin("validation")), since)


def _one_statement_write(registry: Registry, key: str, setting: str) -> _Write | None:
    """The write, when it can be one statement (``guarded_writes.write_and_bump``); else None.

    On PostgreSQL, outside a caller's transaction and with nobody to vet it. It finds its
    row by plugin and key, so it needs no rows read first: they are often not cached, as
    a write elsewhere to the same plugin forgets them. An unknown plugin or setting is
    None too: the general way raises and records its error.
    """
    if not one_statement_writes():
        return None
    try:
        write = _prepare(registry, key, setting, read_rows=False)
    except PluginError:
        return None
    return None if write.vetted else write


def _update_in_one_statement(
    write: _Write,
    raw: object,
    target: str,
    actor: Actor | None,
    *,
    decided_on: tuple[int, int] | None = None,
) -> SettingView | None:
    """The row, its audit entry and the version bump in one statement.

    None, with nothing done: no row yet. With ``decided_on``, DecideAgain instead (from
    ``write_and_bump``, telling what it found stored), and when the value is refused.
    """
    spec = write.spec
    with audited(AuditAction.SETTING, target, actor) as note:
        with refusals_decide_again(decided_on):
            stored = write.clean(raw)
        note.message = _audit_message(stored, protected=spec.protected)
        quote = connection.ops.quote_name
        update = (
            f"UPDATE {quote(PluginSetting._meta.db_table)} "
            f"SET {quote('value')} = %s, {quote('protected')} = %s "
            f"WHERE {quote('plugin_id')} = %s AND {quote('key')} = %s AND {GUARD} "
            f"RETURNING {_setting_columns()}"
        )
        written = write_and_bump(
            Change.SETTINGS,
            update,
            [stored, spec.protected, write.config.pk, spec.key.upper()],
            insert=note.success_entry(),
            scope=write.key,
            decided_on=decided_on,
        )
        if written is None:  # no row (deleted, or never stored); DecideAgain with decided_on
            note.withdrawn = True
            return None
        note.recorded = True
    row = _setting_from_row(written.row)
    row.plugin = write.config
    write.cache_written(row, written.versions.settings_version)  # committed already
    return SettingView(row=row, spec=spec, plugin_key=write.key)


def _update_setting(registry: Registry, key: str, setting: str, raw: object) -> SettingView:
    write = _prepare(registry, key, setting)
    stored = write.clean(raw)
    spec = write.spec
    # No savepoint: inside an audited write the whole transaction rolls back on any error.
    with transaction.atomic(savepoint=False):
        row = None
        if write.cached is not None:
            # Nobody vets the change, so the old value is not needed: one UPDATE, no read.
            row = _updated_copy(write.cached, stored, protected=spec.protected)
        if row is None:
            row = _update_locked(registry, write.config, spec, stored)
        row.plugin = write.config
        versions = bump_version(Change.SETTINGS, scope=key)
    # Dropped now, so this transaction reads its own write, and again after the commit (an
    # audited write commits later, with its entry): meanwhile a reader of this process may
    # have cached the row as still committed. The cache takes the new version only then: a
    # write rolled back must not leave it a version ahead of the database.
    holder.forget_all(write.markers)
    transaction.on_commit(partial(write.cache_written, row, versions.settings_version))
    return SettingView(row=row, spec=spec, plugin_key=key)


def _updated_copy(cached: PluginSetting, stored: str, *, protected: bool) -> PluginSetting | None:
    """Store ``stored`` in the row ``cached`` shows; return a new instance of the updated row.

    None when the row is gone (its plugin's config was deleted meanwhile).
    """
    quote = connection.ops.quote_name
    updated = fetch_rows(  # plain SQL: the ORM's UPDATE costs more to build than to run
        f"UPDATE {quote(PluginSetting._meta.db_table)} SET {quote('value')} = %s, "
        f"{quote('protected')} = %s WHERE {quote('id')} = %s RETURNING {quote('id')}",
        [stored, protected, cached.pk],
    )
    if not updated:
        return None
    return _with_value(cached, stored, protected=protected)


def _with_value(cached: PluginSetting, stored: str, *, protected: bool) -> PluginSetting:
    """A new instance of the row ``cached`` shows, with the value just stored."""
    fields = PluginSetting._meta.concrete_fields
    row = _setting_from_row([getattr(cached, field.attname) for field in fields])
    row.value, row.protected = stored, protected
    return row


def _update_locked(
    registry: Registry, config: PluginConfig, spec: SettingSpec, stored: str
) -> PluginSetting:
    """Read the row afresh under a lock, let the validation plugins vet the change, save it."""
    locked = PluginSetting.objects.select_for_update()
    row = locked.filter(plugin_id=config.pk, key=spec.key.upper()).first()
    if row is None:
        row = _create_row(config, spec)
    previous = row.value
    row.value = stored
    row.protected = spec.protected
    row.plugin = config
    validate_instance(registry, row, field_deltas({"value": (previous, stored)}), field="value")
    row.save(update_fields=["value", "protected"] if row.pk else None)
    return row


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
    holder.forget(rows_marker(config.pk))
    holder.forget(ALL_ROWS)
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
