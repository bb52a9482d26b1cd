"""Plugins' stored metadata, kept in memory while something tells of every change to it.

Metadata is not part of the snapshot: it changes without a version bump (plugin code saves
it through the model, other hosts write it), so a process may keep it only while it hears
of each change. On PostgreSQL a trigger NOTIFYs the plugin key of every changed row and the
watcher, LISTENing, turns this cache on (``enable``) and forgets what each notice names;
when it stops listening it turns the cache off. Elsewhere the cache stays off and every
read loads.

Entries are the stored JSON text, not parsed objects: a reader gets a fresh object each
time, so nothing a caller does to it reaches the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

MAX_CACHED_BYTES = 16 * 1024 * 1024
"""The text a process keeps at most; past that it starts afresh (10,000 plugins x 64 KiB
of metadata each would otherwise be 640 MiB per worker)."""


class MetadataCache:
    """Stored metadata text by plugin key; only loads that no change overtook are kept."""

    def __init__(self, max_bytes: int = MAX_CACHED_BYTES) -> None:
        self._max_bytes = max_bytes
        self._entries: dict[str, str] = {}
        self._size = 0
        self._generation = 0  # moves with every forget: a load begun before it is not kept
        self._enabled = False
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether entries are kept (someone tells of every change)."""
        return self._enabled

    def get(self, key: str, load: Callable[[], str]) -> str:
        """Return the stored text of ``key``: cached, or from ``load`` (kept if still current).

        A load that began before a change was forgotten may hold the text from before it,
        so it is returned but not kept. ``load`` raising (no such plugin) keeps nothing.
        """
        entry = self._entries.get(key)
        if entry is not None:
            return entry
        generation = self._generation
        text = load()
        with self._lock:
            if self._enabled and generation == self._generation:
                if self._size + len(text) > self._max_bytes:
                    self._drop_all()
                self._entries[key] = text
                self._size += len(text)
        return text

    def forget(self, key: str) -> None:
        """The stored metadata of ``key`` changed (or may have): load it again next time."""
        with self._lock:
            self._generation += 1
            text = self._entries.pop(key, None)
            if text is not None:
                self._size -= len(text)

    def forget_all(self) -> None:
        """Any plugin's metadata may have changed: load each again."""
        with self._lock:
            self._drop_all()

    def enable(self) -> None:
        """Keep entries from now on: every change will be told (``forget``)."""
        with self._lock:
            self._drop_all()  # changes before now were not told
            self._enabled = True

    def disable(self) -> None:
        """Keep nothing: changes are no longer told."""
        with self._lock:
            self._enabled = False
            self._drop_all()

    def _drop_all(self) -> None:
        self._generation += 1
        self._entries = {}
        self._size = 0


metadata_cache = MetadataCache()
