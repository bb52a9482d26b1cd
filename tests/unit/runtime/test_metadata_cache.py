"""The metadata cache keeps only loads that no change overtook, and only while enabled."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plughost.runtime.metadata_cache import MetadataCache


def loader(text: str, calls: list[str]) -> Callable[[], str]:
    def load() -> str:
        calls.append(text)
        return text

    return load


def test_a_disabled_cache_loads_every_time() -> None:
    cache = MetadataCache()
    calls: list[str] = []

    assert cache.get("a", loader('{"x": 1}', calls)) == '{"x": 1}'
    assert cache.get("a", loader('{"x": 1}', calls)) == '{"x": 1}'

    assert len(calls) == 2
    assert not cache.enabled


def test_an_enabled_cache_loads_once_until_the_key_is_forgotten() -> None:
    cache = MetadataCache()
    cache.enable()
    calls: list[str] = []

    cache.get("a", loader("1", calls))
    cache.get("a", loader("stale", calls))
    cache.get("b", loader("2", calls))
    cache.forget("a")

    assert cache.get("a", loader("3", calls)) == "3"
    assert cache.get("b", loader("unused", calls)) == "2"
    assert calls == ["1", "2", "3"]


def test_a_load_overtaken_by_a_change_is_returned_but_not_kept() -> None:
    cache = MetadataCache()
    cache.enable()
    calls: list[str] = []

    def load_while_another_key_changes() -> str:
        cache.forget("other")  # a NOTIFY handled while this read was on its way
        return "before the change"

    assert cache.get("a", load_while_another_key_changes) == "before the change"
    assert cache.get("a", loader("after", calls)) == "after"
    assert cache.get("a", loader("unused", calls)) == "after"
    assert calls == ["after"]


def test_forget_all_and_disable_drop_everything() -> None:
    cache = MetadataCache()
    cache.enable()
    calls: list[str] = []
    cache.get("a", loader("1", calls))
    cache.forget_all()
    cache.get("a", loader("2", calls))
    cache.disable()

    assert cache.get("a", loader("3", calls)) == "3"
    assert cache.get("a", loader("4", calls)) == "4"  # off: nothing kept
    assert calls == ["1", "2", "3", "4"]


def test_a_load_begun_before_enable_is_not_kept() -> None:
    cache = MetadataCache()
    calls: list[str] = []

    def load_while_the_watcher_starts_listening() -> str:
        cache.enable()
        return "untold changes may follow"

    cache.get("a", load_while_the_watcher_starts_listening)
    assert cache.get("a", loader("fresh", calls)) == "fresh"
    assert calls == ["fresh"]


def test_a_failed_load_keeps_nothing() -> None:
    cache = MetadataCache()
    cache.enable()

    def missing() -> str:
        raise LookupError("no such plugin")

    with pytest.raises(LookupError):
        cache.get("a", missing)
    calls: list[str] = []
    cache.get("a", loader("1", calls))
    assert calls == ["1"]


def test_past_its_size_the_cache_starts_afresh() -> None:
    cache = MetadataCache(max_bytes=10)
    cache.enable()
    calls: list[str] = []
    cache.get("a", loader("123456", calls))
    cache.get("b", loader("abcdef", calls))  # 12 bytes in all: "a" goes

    cache.get("b", loader("unused", calls))
    cache.get("a", loader("123456", calls))

    assert calls == ["123456", "abcdef", "123456"]
