"""The one process-wide holder of the current registry snapshot.

Readers call ``current()`` and get a complete, immutable snapshot. ``swap()`` replaces it
whole under a lock; only ``plughost.services`` calls it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from plughost.core.definition import Definitions
from plughost.core.discovery import DiscoveryResult
from plughost.core.registry import Registry, empty_registry

T = TypeVar("T")
MAX_PENDING_CHANGES = 1000
"""Setting changes kept waiting for an earlier one; past that the cache starts afresh."""


@dataclass(frozen=True)
class Snapshot:
    """The registry and what it was built from (the discovery and the stored versions)."""

    registry: Registry
    discovery: DiscoveryResult | None
    version: int
    collect_version: int
    # The stored config rows (id, key, name, package_name, active) read by the same rebuild,
    # by key: every change to them bumps the version, so they are as current as the registry.
    # Active ones first, each group in ``name_order``: the plugin list's default order.
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The validated definitions of the discovery: a rebuild without rediscovery reuses them.
    definitions: Definitions | None = None
    # What the discovery read from disk (``services.sources.sources_fingerprint``).
    sources: Hashable = None
    # Their keys as the database orders them by name, key and id (its collation decides):
    # a rebuild that knows what changed regroups them without reading them again.
    name_order: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Change:
    """A setting change that waits for an earlier one (see ``settings_changed``)."""

    changed: Callable[[Hashable], bool]
    replaced: Mapping[Hashable, Any] | None
    since: tuple[int, int] | None


def value_marker(key: str, setting: str) -> tuple[str, str, str]:
    """The cache entry of one setting's typed value."""
    return ("value", key, setting.upper())


class RegistryHolder:
    """Holds the current snapshot; rebuilds are serialised by ``rebuilding()``."""

    def __init__(self) -> None:
        self._snapshot = Snapshot(empty_registry(), None, -1, -1)
        self._build_lock = threading.RLock()
        self._checked_at = 0.0
        self._settings: dict[Hashable, Any] = {}
        self._per_snapshot: set[Hashable] = set()
        self._settings_version = -1
        self._generation = 0  # moves whenever the whole cache is dropped
        self._pending: dict[int, _Change] = {}  # numbered changes that wait for an earlier one
        self._settings_lock = threading.RLock()  # whoever replaces the cache or its version
        self._local_writes = 0
        self._local_writes_done = threading.Condition()
        self.watched = False

    # Setting values and rows, cached until the stored settings version moves ------------
    @property
    def settings_version(self) -> int:
        """Return the settings version the cache holds values of."""
        return self._settings_version

    def cached_setting(self, key: str, setting: str, load: Callable[[], object]) -> object:
        """Return a cached typed setting value, loading it once."""
        return self.cached(value_marker(key, setting), load)

    def cached(self, marker: Hashable, load: Callable[[], T], *, per_snapshot: bool = False) -> T:
        """Return what ``load`` returned for ``marker`` since the settings cache was cleared.

        ``per_snapshot``: also forget it whenever a new snapshot is swapped in (it depends
        on which plugins are active, say). The dict is taken before loading: a value loaded
        while another thread cleared the cache (a write committed meanwhile) lands in the
        forgotten dict, never in the new one.
        """
        cache = self._settings
        try:
            return cast(T, cache[marker])
        except KeyError:
            value = load()
            if per_snapshot:
                self._per_snapshot.add(marker)
            cache[marker] = value
            return value

    def peek(self, marker: Hashable) -> Any:
        """Return the cached entry of ``marker``, or None; never loads."""
        return self._settings.get(marker)

    def forget(self, marker: Hashable) -> None:
        """Drop one cached entry (its stored rows changed in this process)."""
        self._settings.pop(marker, None)

    def forget_all(self, markers: Iterable[Hashable]) -> None:
        """Drop these entries, replacing the cache (see :meth:`cached`)."""
        dropped = set(markers)
        with self._settings_lock:
            self._settings = {m: v for m, v in self._settings.items() if m not in dropped}

    def cache_state(self) -> tuple[int, int]:
        """What the cache holds now: its settings version and generation (see written_here)."""
        return self._settings_version, self._generation

    def written_here(
        self,
        markers: Iterable[Hashable],
        version: int,
        *,
        replaced: Mapping[Hashable, Any] | None = None,
        since: tuple[int, int] | None = None,
    ) -> None:
        """This process wrote what ``markers`` cache: setting change number ``version``.

        Only those entries go, so a write does not make every other setting load again.
        ``replaced``: entries to put back with this write applied, built from what the
        cache held at ``since`` (``cache_state()``); kept only if the cache was neither
        cleared nor moved since, so they are the stored state plus this write.
        """
        self.settings_changed(
            version, frozenset(markers).__contains__, replaced=replaced, since=since
        )

    def settings_changed(
        self,
        version: int,
        changed: Callable[[Hashable], bool],
        *,
        replaced: Mapping[Hashable, Any] | None = None,
        since: tuple[int, int] | None = None,
    ) -> None:
        """Setting change number ``version`` happened: forget the entries ``changed`` picks.

        The cache's version moves one change at a time. A change that comes before an
        earlier one is known forgets its entries at once, and waits for the earlier one
        to move the version on: a local write often commits just after a change elsewhere
        that the watcher has not handled yet, and dropping everything then cost every
        worker of a busy server its whole cache at each write. Without a watcher nobody
        would tell of the earlier ones, so everything goes, as for a change nobody named.
        A change at or below the cache's version is accounted for already (applied, or
        the cache was cleared after it). ``replaced`` and ``since``: see written_here.
        """
        with self._settings_lock:
            if version <= self._settings_version:
                return
            if version > self._settings_version + 1:
                if not self.watched:
                    self._clear(version - 1)
                else:
                    self._settings = {m: v for m, v in self._settings.items() if not changed(m)}
            self._pending[version] = _Change(changed, replaced, since)
            if len(self._pending) > MAX_PENDING_CHANGES:  # one never came: start afresh
                self._clear(max(self._pending))
            self._apply_pending()

    def _apply_pending(self) -> None:
        while (change := self._pending.pop(self._settings_version + 1, None)) is not None:
            version = self._settings_version + 1
            settings = {m: v for m, v in self._settings.items() if not change.changed(m)}
            if change.replaced and change.since == (version - 1, self._generation):
                settings.update(change.replaced)
            self._settings = settings
            self._settings_version = version

    def clear_settings(self, version: int) -> None:
        """Forget every cached setting value: the cache is of ``version`` from now on.

        Changes waiting for an earlier one are accounted for up to ``version``; later ones
        apply after it.
        """
        with self._settings_lock:
            self._clear(version)
            self._apply_pending()

    def _clear(self, version: int) -> None:
        if version < self._settings_version:  # the database started again (tests)
            self._pending.clear()
        self._pending = {n: change for n, change in self._pending.items() if n > version}
        self._settings = {}
        self._generation += 1
        self._settings_version = version

    @property
    def snapshot(self) -> Snapshot:
        """Return the current snapshot."""
        return self._snapshot

    def current(self) -> Registry:
        """Return the current registry."""
        return self._snapshot.registry

    def is_ready(self) -> bool:
        """Return whether a registry has been built in this process."""
        return self._snapshot.version >= 0

    def swap(self, snapshot: Snapshot, *, same_configs: bool = False) -> None:
        """Replace the snapshot whole (readers see the old or the new one, never a mix).

        Cached setting rows go too, unless ``same_configs`` says the rebuild kept the same
        config rows (an activation, a reload): then only what is cached per snapshot goes.
        """
        self._snapshot = snapshot
        if same_configs:
            self.forget_all(self._per_snapshot)
        else:
            with self._settings_lock:
                self._settings = {}
                self._generation += 1

    @contextmanager
    def local_write(self) -> Iterator[None]:
        """Mark a setting write of this process as in flight, until after its commit.

        Its commit's NOTIFY (or the next poll) may reach this process's watcher before the
        writer has told the cache (``written_here``); the watcher waits for it
        (:meth:`wait_for_local_writes`) rather than dropping every cached setting.
        """
        with self._local_writes_done:
            self._local_writes += 1
        try:
            yield
        finally:
            with self._local_writes_done:
                self._local_writes -= 1
                if not self._local_writes:
                    self._local_writes_done.notify_all()

    def wait_for_local_writes(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until no local write is in flight; return whether one was."""
        with self._local_writes_done:
            if not self._local_writes:
                return False
            self._local_writes_done.wait_for(lambda: not self._local_writes, timeout)
            return True

    @contextmanager
    def rebuilding(self) -> Iterator[None]:
        """Serialise rebuilds within this process."""
        with self._build_lock:
            yield

    def due_for_check(self, interval: float) -> bool:
        """Return True at most once per ``interval`` seconds (throttles version checks)."""
        now = time.monotonic()
        if now - self._checked_at < interval:
            return False
        self._checked_at = now
        return True

    def reset(self) -> None:
        """Forget the snapshot (tests use this to start from nothing)."""
        with self._build_lock:
            self._snapshot = Snapshot(empty_registry(), None, -1, -1)
            self._checked_at = 0.0
            with self._settings_lock:
                self._settings = {}
                self._pending.clear()
                self._generation += 1
                self._settings_version = -1


holder = RegistryHolder()
