"""The one process-wide holder of the current registry snapshot.

Readers call ``current()`` and get a complete, immutable snapshot. ``swap()`` replaces it
whole under a lock; only ``plughost.services`` calls it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from plughost.core.discovery import DiscoveryResult
from plughost.core.registry import Registry, empty_registry


@dataclass(frozen=True)
class Snapshot:
    """The registry and what it was built from (the discovery and the stored versions)."""

    registry: Registry
    discovery: DiscoveryResult | None
    version: int
    collect_version: int
    # The stored config rows (id, key, name, package_name, active) read by the same rebuild,
    # by key: every change to them bumps the version, so they are as current as the registry.
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class RegistryHolder:
    """Holds the current snapshot; rebuilds are serialised by ``rebuilding()``."""

    def __init__(self) -> None:
        self._snapshot = Snapshot(empty_registry(), None, -1, -1)
        self._build_lock = threading.RLock()
        self._checked_at = 0.0
        self._settings: dict[tuple[str, str], object] = {}
        self._settings_version = -1
        self.watched = False

    # Setting values, cached until the stored settings version moves ----------------------
    @property
    def settings_version(self) -> int:
        """Return the settings version the cache holds values of."""
        return self._settings_version

    def cached_setting(self, key: str, setting: str, load: Callable[[], object]) -> object:
        """Return a cached typed setting value, loading it once."""
        marker = (key, setting.upper())
        try:
            return self._settings[marker]
        except KeyError:
            value = load()
            self._settings[marker] = value
            return value

    def clear_settings(self, version: int) -> None:
        """Forget every cached setting value (a setting changed somewhere)."""
        self._settings = {}
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

    def swap(self, snapshot: Snapshot) -> None:
        """Replace the snapshot whole (readers see the old or the new one, never a mix)."""
        self._snapshot = snapshot

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
            self._settings = {}
            self._settings_version = -1


holder = RegistryHolder()
