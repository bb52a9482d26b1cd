"""Use cases that change a plugin's stored state: activate, deactivate, edit, delete, metadata."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping

from django.db import connection, transaction

from plughost.core.errors import IllegalStateChangeError, PluginNotFoundError
from plughost.core.registry import Registry
from plughost.db.models import AuditAction, PluginConfig
from plughost.runtime import holder, metadata_cache
from plughost.services import plugin_apps
from plughost.services.audit import Actor, AuditNote, audited
from plughost.services.configs import snapshot_config
from plughost.services.events import PLUGIN_ACTIVATED, PLUGIN_DEACTIVATED, trigger_event
from plughost.services.guarded_writes import (
    GUARD,
    DecideAgain,
    Written,
    one_statement_writes,
    refusals_decide_again,
    versions_guard,
    write_and_bump,
)
from plughost.services.registry import (
    Discovery,
    Unchecked,
    current_registry,
    current_snapshot,
    ensure_current,
    fresh_registry,
    rebuild,
)
from plughost.services.sql import fetch_rows
from plughost.services.state import Change, bump_version
from plughost.services.validation import field_deltas, validate_instance


class MetadataWrite(enum.Enum):
    """How a metadata write combines with what is stored."""

    MERGE = "merge"  # PATCH: shallow-merge the given keys
    REPLACE = "replace"  # PUT: store exactly the given object


def get_config(key: str) -> PluginConfig:
    """Return the config of ``key``; raise PluginNotFoundError."""
    config = PluginConfig.objects.filter(key=key).first()
    if config is None:
        raise PluginNotFoundError(f"No plugin with key '{key}'", key=key)
    return config


def activate(
    key: str, *, actor: Actor | None = None, unchecked: Unchecked | None = None
) -> PluginConfig:
    """Store ``key`` as active and rebuild the registry; refuse an incompatible plugin.

    ``unchecked``: decide on this registry, which nobody checked against the stored versions
    (``registry.decide_write``); the change is then one statement that checks them, and
    anything but a plain change raises DecideAgain, having done and recorded nothing.
    """
    with audited(AuditAction.ACTIVATE, key, actor) as note:
        return _activate(key, note, unchecked)


def deactivate(
    key: str, *, actor: Actor | None = None, unchecked: Unchecked | None = None
) -> PluginConfig:
    """Store ``key`` as inactive and rebuild; a mandatory plugin cannot be deactivated.

    ``unchecked``: as for :func:`activate`.
    """
    with audited(AuditAction.DEACTIVATE, key, actor) as note:
        return _deactivate(key, note, unchecked)


def _activate(key: str, note: AuditNote, unchecked: Unchecked | None) -> PluginConfig:
    registry, decided_on = unchecked or (fresh_registry(), None)
    with refusals_decide_again(decided_on):
        config = snapshot_config(key)
        definition = registry.find_definition(key)
        if definition is None:
            raise IllegalStateChangeError(
                f"Plugin '{key}' is not installed, so it cannot be activated", key=key
            )
        if not definition.compatible:
            reason = next((e.message for e in registry.errors if e.name == key), "")
            raise IllegalStateChangeError(
                f"Plugin '{key}' is not compatible with this host and cannot be activated. "
                f"{reason}",
                key=key,
            )
    if plugin_apps.is_app_plugin(definition):
        if decided_on is not None:
            # Unchecked: the snapshot's flag may be older than another
            # process's deactivation (the guard checks only collect_version).
            raise DecideAgain
        if not config.active:
            # Its app and tables exist before any process loads it (False: at next restart).
            plugin_apps.prepare_app(definition)
    return _store_active(config, note, active=True, decided_on=decided_on)


def _deactivate(key: str, note: AuditNote, unchecked: Unchecked | None) -> PluginConfig:
    registry, decided_on = unchecked or (fresh_registry(), None)
    with refusals_decide_again(decided_on):
        config = snapshot_config(key)
        definition = registry.find_definition(key)
        if definition is not None and definition.is_mandatory:
            raise IllegalStateChangeError(
                f"Plugin '{key}' is mandatory (builtin) and cannot be deactivated", key=key
            )
    return _store_active(config, note, active=False, decided_on=decided_on)


def _store_active(
    config: PluginConfig,
    note: AuditNote,
    *,
    active: bool,
    decided_on: tuple[int, int] | None = None,
) -> PluginConfig:
    if decided_on is None and config.active == active:
        return config
    # Holding the rebuild lock from before the commit to after the rebuild, this process's
    # watcher (woken by the commit's NOTIFY) finds the snapshot current, instead of
    # rebuilding it once more beside this request. The commit comes first: a rebuild never
    # runs inside a write transaction (it may have to write, and wait for, the database).
    # The audit entry commits with the change (one commit, not two).
    with holder.rebuilding():
        # Unchecked (decided_on), a write that did nothing raises DecideAgain (the versions
        # moved), or tells that the flag was so already (``changed`` False).
        written = _store_active_flag(config, note, active=active, decided_on=decided_on)
        config.active = active
        if written is None:
            rebuild(Discovery.REUSE)
        elif not written.changed:  # a no-op, as on a checked registry: no event either
            ensure_current(written.versions, known=written.changes)  # whoever stored it
            return config
        else:
            # The config rows are this snapshot's with the flag of each change since, this
            # one included: when all of them are known, the rebuild need not read the rows.
            known = {**written.changes, written.versions.version: {config.key: active}}
            rebuild(Discovery.REUSE, stored=written.versions, known=known)
    trigger_event(PLUGIN_ACTIVATED if active else PLUGIN_DEACTIVATED, key=config.key)
    return config


def _store_active_flag(
    config: PluginConfig,
    note: AuditNote,
    *,
    active: bool,
    decided_on: tuple[int, int] | None = None,
) -> Written | None:
    """Store the flag, bump the version, write the success entry: all at once or none.

    One statement on PostgreSQL outside a caller's transaction (``guarded_writes.write_and_bump``),
    a transaction of them elsewhere. Returns what it wrote: the versions after the bump
    and the changes before it that the statement told of; with ``decided_on``, also when
    the flag was so already (``changed`` False: the entry written, nothing bumped).
    None: the flag was already so, nothing bumped or recorded.
    """
    if one_statement_writes():
        quote = connection.ops.quote_name
        table, column, pk = quote(PluginConfig._meta.db_table), quote("active"), quote("id")
        update = (
            f"UPDATE {table} SET {column} = %s "
            f"WHERE {pk} = %s AND {column} <> %s AND {GUARD} RETURNING {pk}"
        )
        already = f"EXISTS (SELECT 1 FROM {table} WHERE {pk} = %s AND {column} = %s AND {GUARD})"
        entry = note.success_entry()
        written = write_and_bump(
            Change.STATE,
            update,
            [active, config.pk, active],
            insert=entry,
            configs={config.key: active},
            decided_on=decided_on,
            # Whether a plugin may be (de)activated rests on its definition: other plugins'
            # activations meanwhile change nothing of it (a deleted config matches no row).
            installed_only=True,
            settles=None if decided_on is None else (already, [config.pk, active]),
        )
        if written is None:
            return None  # not changed: the entry is written after, as for any no-op
        if entry is not None:
            note.recorded = True
        return written
    versions = None
    with transaction.atomic():
        updated = (
            PluginConfig.objects.filter(pk=config.pk).exclude(active=active).update(active=active)
        )
        if updated:
            versions = bump_version(Change.STATE, configs={config.key: active})
        note.record_success()
    return None if versions is None else Written(versions, (), {})


def update_description(
    key: str, *, name: str | None = None, package_name: str | None = None
) -> PluginConfig:
    """Refuse changes to ``name``/``package_name``: they describe the installed plugin."""
    config = get_config(key)
    for field, value in (("name", name), ("package_name", package_name)):
        if value is not None and value != getattr(config, field):
            raise IllegalStateChangeError(
                f"'{field}' describes the installed plugin and cannot be changed", key=key
            )
    return config


def delete(key: str) -> None:
    """Delete an inactive plugin's config with its settings; an active one stays."""
    config = get_config(key)
    if config.active:
        raise IllegalStateChangeError("Plugin cannot be deleted as it is currently active", key=key)
    with transaction.atomic():
        deleted, _ = PluginConfig.objects.filter(pk=config.pk, active=False).delete()
        if deleted:
            bump_version(Change.STATE)
    rebuild(Discovery.REUSE)


def get_metadata(key: str) -> dict[str, object]:
    """Return the stored metadata object of ``key`` (from memory where the watcher allows)."""
    return _metadata_object(metadata_cache.get(key, lambda: _stored_metadata(key)))


def _stored_metadata(key: str) -> str:
    """The metadata column of ``key`` as JSON text."""
    # One column by plain SQL: the ORM's query building costs more than this read.
    quote = connection.ops.quote_name
    table = quote(PluginConfig._meta.db_table)
    rows = fetch_rows(f"SELECT {quote('metadata')} FROM {table} WHERE {quote('key')} = %s", [key])
    if not rows:
        raise PluginNotFoundError(f"No plugin with key '{key}'", key=key)
    stored = rows[0][0]  # text from both backends (Django loads JSON columns itself)
    if isinstance(stored, bytes):
        return stored.decode()
    return stored if isinstance(stored, str) else json.dumps(stored)


def _metadata_object(stored: object) -> dict[str, object]:
    """The metadata column as a dict (raw SQL may answer JSON text; a non-object is empty)."""
    metadata = json.loads(stored) if isinstance(stored, (str, bytes)) else stored
    return dict(metadata) if isinstance(metadata, Mapping) else {}


def write_metadata(
    key: str,
    data: Mapping[str, object],
    how: MetadataWrite,
    *,
    registry: Registry | None = None,
    unchecked: Unchecked | None = None,
) -> dict[str, object]:
    """Merge or replace the metadata of ``key`` atomically; return the result.

    ``registry``: one the caller has just brought up to date (``fresh_registry``).
    ``unchecked``: decide on this registry, which nobody checked against the stored
    versions (``registry.decide_write``): the write is then one statement that checks
    them, and anything else (a validation plugin to ask, no such plugin) raises
    DecideAgain, having done nothing.
    """
    decided_on = None
    if unchecked is not None:
        registry, decided_on = unchecked
        if registry.with_mixin("validation") or not one_statement_writes():
            raise DecideAgain
    # Before the transaction: catching up may rebuild, which takes the rebuild lock, and
    # the lock is never awaited while a write transaction is open (activations take them
    # in the other order).
    registry = registry or fresh_registry()
    try:
        return _write_metadata(key, data, how, registry, decided_on)
    finally:
        # This process reads its write at once; the trigger's NOTIFY, sent at the commit,
        # tells the others (and this one again, should a caller's transaction commit later).
        metadata_cache.forget(key)


def _write_metadata(
    key: str,
    data: Mapping[str, object],
    how: MetadataWrite,
    registry: Registry,
    decided_on: tuple[int, int] | None,
) -> dict[str, object]:
    if not registry.with_mixin("validation"):
        # Nobody vets the change, so nobody needs the old object: one statement.
        stored = _write_metadata_unvetted(key, data, how, decided_on)
        if stored is not None:
            return stored
    with transaction.atomic():
        config = PluginConfig.objects.select_for_update().filter(key=key).first()
        if config is None:
            raise PluginNotFoundError(f"No plugin with key '{key}'", key=key)
        current = config.metadata if isinstance(config.metadata, dict) else {}
        result = {**current, **data} if how is MetadataWrite.MERGE else dict(data)
        config.metadata = result
        validate_instance(
            registry,
            config,
            field_deltas({"metadata": (current, result)}),
            field="metadata",
        )
        config.save(update_fields=["metadata"])
    return result


def _write_metadata_unvetted(
    key: str, data: Mapping[str, object], how: MetadataWrite, decided_on: tuple[int, int] | None
) -> dict[str, object] | None:
    """Write without reading first, where one statement can; None where it cannot.

    A replacement is a plain UPDATE anywhere. A merge is one on PostgreSQL (``jsonb ||``
    is the shallow merge PATCH means, done under the row's lock); SQLite's ``json_patch``
    merges deeply and drops null values, so there it is read, merged and saved.
    ``decided_on``: the statement also checks these versions (PostgreSQL); when it
    changes nothing, the plugin may be missing or the versions moved: DecideAgain.
    """
    if how is MetadataWrite.REPLACE and connection.vendor != "postgresql":
        if not PluginConfig.objects.filter(key=key).update(metadata=dict(data)):
            raise PluginNotFoundError(f"No plugin with key '{key}'", key=key)
        return dict(data)
    if connection.vendor != "postgresql":
        return None
    quote = connection.ops.quote_name
    table = quote(PluginConfig._meta.db_table)
    column = quote("metadata")
    current = f"(CASE WHEN jsonb_typeof({column}) = 'object' THEN {column} ELSE '{{}}'::jsonb END)"
    value = "%s::jsonb" if how is MetadataWrite.REPLACE else f"{current} || %s::jsonb"
    guard, guard_values = versions_guard(decided_on)
    rows = fetch_rows(
        f"UPDATE {table} SET {column} = {value} "
        f"WHERE {quote('key')} = %s AND {guard} RETURNING {column}",
        [json.dumps(dict(data)), key, *guard_values],
    )
    if not rows:
        if decided_on is not None:
            raise DecideAgain
        raise PluginNotFoundError(f"No plugin with key '{key}'", key=key)
    if how is MetadataWrite.REPLACE:
        return dict(data)  # as sent (jsonb would answer its own key order)
    return _metadata_object(rows[0][0])


def active_count() -> int:
    """Return the number of stored active configs (the ``status/`` figure)."""
    return sum(1 for row in current_snapshot().configs.values() if row["active"])


def registry_for_request() -> Registry:
    """Return the current registry for a request (refreshing it when another process moved)."""
    return current_registry()
