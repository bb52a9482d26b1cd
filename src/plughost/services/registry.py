"""Build the registry from discovery and the stored state, and keep this process current.

Reload = (re)discover, define, sync configs, build, swap. Other processes learn of a change
through the stored registry version and rebuild once (``ensure_current``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import connection, transaction

from plughost.core.definition import Definitions, define_plugins
from plughost.core.discovery import DiscoveryResult
from plughost.core.registry import Registry, build_registry
from plughost.db.models import PluginConfig, PluginSetting
from plughost.runtime import Snapshot, holder
from plughost.services import plugin_apps, plugin_settings
from plughost.services.configs import CONFIG_FIELDS
from plughost.services.events import PLUGINS_LOADED, trigger_event
from plughost.services.guarded_writes import DecideAgain, Seen, one_statement_writes
from plughost.services.host import host
from plughost.services.registry_hooks import after_rebuild
from plughost.services.sources import discover_all, plugin_code_runner, sources_fingerprint
from plughost.services.sql import fetch_rows
from plughost.services.state import (
    Change,
    Changes,
    Versions,
    bump_version,
    read_changes,
    read_versions,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

CHECK_INTERVAL_SECONDS = 0.2
CONFIG_ORDER = ("-active", "name", "key", "id")
NAME_ORDER = ("name", "key", "id")
"""The order config rows are read in; the snapshot groups them by ``active`` (CONFIG_ORDER)."""

_just_seen: ContextVar[Seen | None] = ContextVar("plughost_just_seen", default=None)
"""What the statement of a write that must decide again found stored (``decide_write``)."""


class Discovery(enum.Enum):
    """Whether a rebuild rediscovers plugins or reuses the last discovery."""

    RECOLLECT = "recollect"
    REUSE = "reuse"


def current_registry() -> Registry:
    """Return this process's registry; build it the first time.

    Where a watcher runs (server processes), it keeps the snapshot current in the background
    and requests never wait for a rebuild. Elsewhere (tests, management commands) the stored
    versions are checked here, at most every ``CHECK_INTERVAL_SECONDS``.
    """
    if not holder.is_ready():
        with holder.rebuilding():
            if not holder.is_ready():
                return rebuild(Discovery.RECOLLECT)
    if not holder.watched and holder.due_for_check(CHECK_INTERVAL_SECONDS):
        return ensure_current()
    return holder.current()


def fresh_registry() -> Registry:
    """Return a registry that has caught up with every stored change, checked now.

    Writes decide on it: a client that installs through one worker and activates through
    another must not be told the plugin is missing because this worker's watcher has not
    woken yet. It costs one query when nothing moved; none when a write that decides again
    has just been told the stored versions by its own statement (``decide_write``).
    """
    if not holder.is_ready():
        return current_registry()
    seen = _just_seen.get()
    if seen is None:
        return ensure_current()
    _just_seen.set(None)  # once: a later check of the same request reads them
    return ensure_current(seen.versions, known=seen.changes)


Unchecked = tuple[Registry, tuple[int, int]]
"""The current snapshot's registry, not checked against the stored versions, and the
``(version, collect_version)`` it was built from: what a write's statement must find stored."""


def decide_write(attempt: Callable[[Unchecked | None], T]) -> T:
    """Run a write decided on the current snapshot, unchecked; else on ``fresh_registry()``.

    Where a write can be one statement (PostgreSQL, no transaction open), the statement
    itself checks that the versions the snapshot was built from are still the stored ones
    (``guarded_writes.write_and_bump``'s ``decided_on``), which spares ``fresh_registry()``'s query:
    ``attempt`` gets the snapshot's registry and versions. If it raises DecideAgain
    (nothing was done), or elsewhere, ``attempt(None)`` decides on ``fresh_registry()``,
    which catches up with what the failed statement found stored, when it tells.
    """
    seen = None
    if holder.is_ready() and one_statement_writes():
        snapshot = holder.snapshot
        try:
            return attempt((snapshot.registry, (snapshot.version, snapshot.collect_version)))
        except DecideAgain as again:
            seen = again.seen
    told = _just_seen.set(seen)
    try:
        return attempt(None)
    finally:
        _just_seen.reset(told)


def current_snapshot() -> Snapshot:
    """Return this process's snapshot: the registry with the config rows it was built from."""
    current_registry()
    return holder.snapshot


def ensure_current(
    stored: Versions | None = None,
    *,
    notified: Mapping[int, str] | None = None,
    known: Changes | None = None,
) -> Registry:
    """Catch up with the stored versions: forget changed settings, rebuild once if needed.

    ``stored``: the versions already known to be stored (a NOTIFY's payload); read if None,
    or if the snapshot is newer already (another thread caught up further meanwhile).
    ``notified``: from the watcher, the plugin whose settings each settings version
    changed, as the NOTIFYs told (empty when it polled). ``known``: what each state
    change did to the config rows, by version, as the NOTIFYs told (see ``rebuild``).
    """
    if stored is None or _behind(stored, holder.snapshot):
        stored = read_versions()
    _catch_up_settings(stored.settings_version, notified)
    snapshot = holder.snapshot
    if (stored.version, stored.collect_version) == (snapshot.version, snapshot.collect_version):
        return snapshot.registry
    with holder.rebuilding():
        snapshot = holder.snapshot  # another thread may have caught up meanwhile
        if (stored.version, stored.collect_version) == (
            snapshot.version,
            snapshot.collect_version,
        ):
            return snapshot.registry
        recollect = stored.collect_version != snapshot.collect_version
        return rebuild(
            Discovery.RECOLLECT if recollect else Discovery.REUSE, stored=stored, known=known
        )


def _behind(stored: Versions, snapshot: Snapshot) -> bool:
    """Whether ``stored`` is older than what ``snapshot`` was built from."""
    return stored.version < snapshot.version or stored.collect_version < snapshot.collect_version


def _catch_up_settings(version: int, notified: Mapping[int, str] | None) -> None:
    """Bring the setting cache to the stored settings ``version``.

    The watcher's notices name the plugin of each change: only those plugins' settings
    go, in order, and everything only when a change is missing from them. Where a watcher
    runs, a request's version check leaves the setting cache to it: the check is for the
    registry a write decides on, and setting reads may lag by the watcher's delay anyway;
    clearing there made every write in one worker drop the other workers' caches.
    """
    if notified is None:
        if version == holder.settings_version:
            return
        if holder.watched and version > holder.settings_version:
            return
        holder.clear_settings(version)
        return
    for number in sorted(notified):
        if number > holder.settings_version:
            plugin_settings.forget_plugin(notified[number], number)
    if holder.settings_version < version:  # a change no notice named: forget everything
        holder.clear_settings(version)


def reload_registry(discovery: Discovery) -> Registry:
    """Rebuild here and tell every other process to rebuild (the API's ``reload/``)."""
    with holder.rebuilding():  # this process's watcher then finds the snapshot current
        # A reload reads every config row again, here and elsewhere (it is how a change made
        # behind the server's back, in the database, is taken in): its change is unknown.
        bumped = bump_version(Change.PACKAGES if discovery is Discovery.RECOLLECT else Change.STATE)
        registry = rebuild(discovery, renew=True, stored=bumped, known={bumped.version: None})
    trigger_event(PLUGINS_LOADED)
    return registry


def rebuild(
    discovery: Discovery,
    *,
    renew: bool = False,
    stored: Versions | None = None,
    known: Changes | None = None,
) -> Registry:
    """Build a new snapshot and swap it in; a failed build keeps the previous one.

    Plugins that stay loaded keep their instances unless ``renew`` (an explicit reload)
    or a rediscovery. ``stored``: the versions this process has just committed (a bump's
    answer), so they need no read; the configs are read after that commit, so they are at
    least as new (a change committed in between makes the watcher rebuild once more).
    ``known``: what state changes did to the config rows, by the version each bumped to;
    the state row's ``recent_changes`` tell of the others. When every change since the
    current snapshot is one flag (each moves ``version`` by one), the rows are the
    snapshot's with those flags, and are not read again.
    """
    with holder.rebuilding():
        previous = holder.snapshot
        try:
            snapshot = _build_snapshot(discovery, previous, renew=renew, stored=stored, known=known)
        except Exception:
            if previous.version < 0:
                raise
            logger.exception("rebuilding the registry failed; the previous snapshot stays")
            return previous.registry
        rediscovered = snapshot.discovery is not previous.discovery
        same_configs = not rediscovered and _config_ids(previous) == _config_ids(snapshot)
        holder.swap(snapshot, same_configs=same_configs)
        active = [key for key, row in snapshot.configs.items() if row["active"]]
        after_rebuild(previous.registry, snapshot.registry, active, resync=rediscovered)
        reported = set(previous.registry.errors)
        for error in snapshot.registry.errors:
            if error not in reported:  # once, not at every rebuild while it lasts
                logger.warning(
                    "plugin %s failed at %s: %s", error.name, error.stage.value, error.message
                )
        return snapshot.registry


def _config_ids(snapshot: Snapshot) -> set[int]:
    return {row["id"] for row in snapshot.configs.values()}


def _build_snapshot(
    discovery: Discovery,
    previous: Snapshot,
    *,
    renew: bool,
    stored: Versions | None,
    known: Changes | None,
) -> Snapshot:
    stored = stored or read_versions()
    runner = plugin_code_runner()
    found = previous.discovery
    definitions = previous.definitions
    sources = previous.sources
    check_configs = False
    reread = previous.version < 0
    if discovery is Discovery.RECOLLECT or found is None or definitions is None:
        sources = sources_fingerprint()
        if found is None or definitions is None or sources != previous.sources:
            found = discover_all(runner)
            definitions = define_plugins(
                found.candidates, host_version=str(settings.PLUGHOST_HOST_VERSION)
            )
            sync_configs(definitions)
            reread = True  # it may have stored configs: read them
        else:  # nothing discovery reads has changed on disk: it would find the same plugins
            check_configs = True
    rows = None if reread else _known_rows(previous, stored, known or {})
    if rows is None:
        rows = read_config_rows()
    configs = _in_list_order(rows)
    if check_configs and not configs.keys() >= definitions.by_key.keys():
        sync_configs(definitions)  # configs deleted since the last discovery come back
        rows = read_config_rows()
        configs = _in_list_order(rows)
    for row in configs.values():
        if "search_text" not in row:  # kept by a row that did not change
            # What ?search= matches, folded once; no term holds a newline (terms split on it).
            row["search_text"] = f"{row['key']}\n{row['name'] or ''}".casefold()
    active_keys = {key for key, row in configs.items() if row["active"]}
    # AppMixin plugins' Django apps join this process first; one that cannot is not loaded.
    app_errors = plugin_apps.ensure_apps(definitions, active_keys)
    active_keys -= {error.name for error in app_errors}
    registry = build_registry(
        definitions,
        active_keys=active_keys,
        host=host,
        version=stored.version,
        extra_errors=[*found.errors, *app_errors],
        runner=runner,
        keep=None if definitions is not previous.definitions else previous.registry,
        renew=renew,
    )
    return Snapshot(
        registry,
        found,
        stored.version,
        stored.collect_version,
        configs,
        definitions,
        sources,
        name_order=tuple(row["key"] for row in rows),
    )


def _known_rows(
    previous: Snapshot, stored: Versions, known: Changes
) -> list[dict[str, Any]] | None:
    """The config rows in NAME_ORDER after the changes since ``previous``; None: read them.

    Each state change moves ``version`` by one: the changes since are those numbered above
    its version, up to ``stored``'s. ``known`` tells of some; the state row's
    ``recent_changes`` of the others (one query). Only when each of them is one flag: rows
    that did not change are the previous snapshot's own.
    """
    numbers = range(previous.version + 1, stored.version + 1)
    if not numbers or any(number in known and known[number] is None for number in numbers):
        return None
    missing = [number for number in numbers if number not in known]
    if missing:
        known = {**read_changes(missing[0] - 1, missing[-1]), **known}
    flags: dict[str, bool] = {}
    for number in numbers:
        change = known.get(number)
        if change is None:  # not kept, or not one flag
            return None
        flags.update(change)
    if not flags.keys() <= previous.configs.keys():
        return None
    return [
        {**row, "active": flags[key]} if key in flags else cast(dict[str, Any], row)
        for key in previous.name_order
        for row in (previous.configs[key],)
    ]


def _in_list_order(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows in NAME_ORDER, by key, in CONFIG_ORDER: active ones first, each group in order.

    The plugin list's default order, so a page of it needs no sorting (nor collation).
    """
    return {row["key"]: row for active in (True, False) for row in rows if row["active"] is active}


def read_config_rows() -> list[dict[str, Any]]:
    """Every config row (CONFIG_FIELDS) in NAME_ORDER, as dicts: what a rebuild reads.

    Plain SQL, the ORM's ``order_by(*NAME_ORDER).values(*CONFIG_FIELDS)`` spelt out: building
    the ORM query cost more than running it.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field) for field in CONFIG_FIELDS)
    order = ", ".join(
        f"{quote(field.lstrip('-'))} {'DESC' if field.startswith('-') else 'ASC'}"
        for field in NAME_ORDER
    )
    table = quote(PluginConfig._meta.db_table)
    rows = fetch_rows(f"SELECT {columns} FROM {table} ORDER BY {order}")
    configs = [dict(zip(CONFIG_FIELDS, row, strict=True)) for row in rows]
    for config in configs:
        config["active"] = bool(config["active"])  # SQLite answers 0 or 1
    return configs


def sync_configs(definitions: Definitions) -> None:
    """Create configs and setting rows for discovered plugins; keep names and flags in step.

    Mandatory plugins are stored active; incompatible ones are stored inactive. Settings rows
    are created with their defaults here, so that reads never write.
    """
    with transaction.atomic():
        existing = {config.key: config for config in PluginConfig.objects.all()}
        new = [
            PluginConfig(
                key=key,
                name=definition.name,
                package_name=definition.package_name,
                active=definition.is_mandatory,
            )
            for key, definition in definitions.by_key.items()
            if key not in existing
        ]
        PluginConfig.objects.bulk_create(new, ignore_conflicts=True)
        changed = []
        for key, config in existing.items():
            definition = definitions.by_key.get(key)
            if definition is None:
                continue
            active = config.active or definition.is_mandatory
            if not definition.compatible:
                active = False
            wanted = (definition.name, definition.package_name, active)
            if (config.name, config.package_name, config.active) != wanted:
                config.name, config.package_name, config.active = wanted
                changed.append(config)
        if changed:
            PluginConfig.objects.bulk_update(changed, ["name", "package_name", "active"])
        _sync_setting_rows(definitions)


def _sync_setting_rows(definitions: Definitions) -> None:
    with_settings = {key: d for key, d in definitions.by_key.items() if d.settings}
    if not with_settings:
        return
    config_ids = dict(
        PluginConfig.objects.filter(key__in=list(with_settings)).values_list("key", "id")
    )
    stored: dict[tuple[int, str], PluginSetting] = {
        (row.plugin_id, row.key.upper()): row
        for row in PluginSetting.objects.filter(plugin_id__in=list(config_ids.values()))
    }
    new_rows: list[PluginSetting] = []
    flag_changes: list[PluginSetting] = []
    for key, definition in with_settings.items():
        config_id = config_ids.get(key)
        if config_id is None:
            continue
        for setting_key, spec in definition.settings.items():
            row = stored.get((config_id, setting_key.upper()))
            if row is None:
                new_rows.append(
                    PluginSetting(
                        plugin_id=config_id,
                        key=setting_key.upper(),
                        value=_safe_default(spec.default_value),
                        protected=spec.protected,
                        hidden=spec.hidden,
                    )
                )
            elif (row.protected, row.hidden) != (spec.protected, spec.hidden):
                row.protected, row.hidden = spec.protected, spec.hidden
                flag_changes.append(row)
    PluginSetting.objects.bulk_create(new_rows, ignore_conflicts=True)
    if flag_changes:
        PluginSetting.objects.bulk_update(flag_changes, ["protected", "hidden"])


def _safe_default(default_value: object) -> str:
    try:
        value = default_value() if callable(default_value) else default_value
    except Exception:  # a plugin's callable default may raise anything
        logger.exception("a setting default raised; storing an empty value")
        return ""
    return str(value)


__all__ = [
    "Discovery",
    "DiscoveryResult",
    "current_registry",
    "ensure_current",
    "rebuild",
    "reload_registry",
]
