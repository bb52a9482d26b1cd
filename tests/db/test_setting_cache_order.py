"""Where a watcher runs, the setting cache follows the numbered changes in order.

A busy server's workers write settings all the time: each change must forget only what it
changed, even when this worker's own write and a change elsewhere arrive out of order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings

from plughost.db.models import PluginConfig
from plughost.runtime import holder
from plughost.services import plugin_settings, watcher
from plughost.services.registry import Discovery, ensure_current, fresh_registry, rebuild
from plughost.services.state import Change, Notice, bump_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _watched(data_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    ensure_current()  # the cache knows the stored settings version
    monkeypatch.setattr(holder, "watched", True)
    # Its connection care would end the test's transaction; it is not what is tested here.
    monkeypatch.setattr(watcher, "close_old_connections", lambda: None)
    yield
    holder.reset()


def _quiet() -> dict[str, float | int]:
    """A watcher's state with its heartbeat and reconcile just done: only the catching up."""
    return {"heartbeat": time.monotonic(), "reconciled": holder.snapshot.collect_version}


def _cache_both() -> None:
    registry = holder.current()
    plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")
    plugin_settings.get_setting(registry, "sample", "NUMERICAL_SETTING")


def _written_elsewhere(value: str) -> Notice:
    """Another process stores a value of "sample" and bumps; return its NOTIFY."""
    settings = PluginConfig.objects.get(key="sample").settings
    settings.filter(key="NUMERICAL_SETTING").update(value=value)
    return Notice(bump_version(Change.SETTINGS, scope="sample"), "sample")


def test_a_version_check_leaves_the_setting_cache_to_the_watcher(
    django_assert_num_queries: Any,
) -> None:
    _cache_both()
    before = holder.settings_version
    notice = _written_elsewhere("321")

    fresh_registry()  # a write's check: about the registry it decides on

    assert holder.settings_version == before
    with django_assert_num_queries(0):
        plugin_settings.get_setting(holder.current(), "plughost", "ENABLE_PLUGINS_URL")

    watcher._tick(_quiet(), [notice])

    assert holder.settings_version == notice.versions.settings_version
    with django_assert_num_queries(0):  # the other plugin's rows stay
        plugin_settings.get_setting(holder.current(), "plughost", "ENABLE_PLUGINS_URL")
    view = plugin_settings.get_setting(holder.current(), "sample", "NUMERICAL_SETTING")
    assert view.row.value == "321"


def test_notices_that_came_during_a_local_write_forget_only_their_plugins(
    django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cache_both()
    first = _written_elsewhere("321")
    second = _written_elsewhere("654")
    in_flight = threading.Event()
    release = threading.Event()

    def local_write() -> None:  # one of this process's writes, still telling its cache
        with holder.local_write():
            in_flight.set()
            release.wait(5.0)

    writer = threading.Thread(target=local_write)
    writer.start()
    in_flight.wait(5.0)
    threading.Timer(0.02, release.set).start()
    monkeypatch.setattr(watcher, "LOCAL_WRITE_WAIT_SECONDS", 5.0)

    watcher._tick(_quiet(), [first, second])
    writer.join(5.0)

    assert holder.settings_version == second.versions.settings_version
    with django_assert_num_queries(0):  # nothing told of "plughost": its rows stay
        plugin_settings.get_setting(holder.current(), "plughost", "ENABLE_PLUGINS_URL")
    view = plugin_settings.get_setting(holder.current(), "sample", "NUMERICAL_SETTING")
    assert view.row.value == "654"


def test_a_change_no_notice_names_still_forgets_everything(
    django_assert_num_queries: Any,
) -> None:
    _cache_both()
    bump_version(Change.SETTINGS)  # told to nobody (a missed NOTIFY, say)
    notice = _written_elsewhere("321")

    watcher._tick(_quiet(), [notice])

    assert holder.settings_version == notice.versions.settings_version
    with django_assert_num_queries(1):
        plugin_settings.get_setting(holder.current(), "plughost", "ENABLE_PLUGINS_URL")
