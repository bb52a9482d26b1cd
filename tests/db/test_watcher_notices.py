"""PostgreSQL: every metadata change is told, whoever writes it; how the watcher takes notices."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from pytest_django import Settings

from plughost.db.models import PluginConfig
from plughost.runtime import holder, metadata_cache
from plughost.services import plugins, watcher
from plughost.services.registry import Discovery, rebuild, reload_registry
from plughost.services.state import (
    CHANNEL,
    METADATA_CHANNEL,
    Change,
    Notice,
    bump_version,
)
from tests.db.postgres_support import another_connection

pytestmark = pytest.mark.django_db(transaction=True)
END = "-- end of test --"


@pytest.fixture
def listener() -> Iterator[psycopg.Connection[Any]]:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY and triggers are PostgreSQL's; SQLite keeps no metadata")
    with another_connection() as listening:
        listening.execute(f"LISTEN {METADATA_CHANNEL}")
        listening.execute(f"LISTEN {CHANNEL}")
        yield listening


@pytest.fixture
def config() -> PluginConfig:
    return PluginConfig.objects.create(key="meta", name="Meta", metadata={"colour": "teal"})


def told(listening: psycopg.Connection[Any]) -> list[str]:
    """The keys told since the last call: up to a marker this test sends after its writes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [METADATA_CHANNEL, END])
    keys: list[str] = []
    for notify in listening.notifies(timeout=5):
        if notify.payload == END:
            break
        keys.append(notify.payload)
    return keys


def test_a_metadata_write_by_any_means_is_told(
    listener: psycopg.Connection[Any], config: PluginConfig
) -> None:
    told(listener)  # the create: nothing cached can be stale

    PluginConfig.objects.filter(key="meta").update(metadata={"colour": "red"})
    assert told(listener) == ["meta"]

    config.set_metadata("size", 3)  # plugin code, through InvenTree's model call
    assert told(listener) == ["meta"]

    config.delete()
    assert told(listener) == ["meta"]


def test_other_changes_to_the_row_tell_nothing(
    listener: psycopg.Connection[Any], config: PluginConfig
) -> None:
    told(listener)

    PluginConfig.objects.filter(key="meta").update(active=True)  # an activation
    config.name = "Renamed"
    config.save()  # every column written, the metadata unchanged
    PluginConfig.objects.filter(key="meta").update(metadata={"colour": "teal"})  # the same

    assert told(listener) == []


def test_a_renamed_key_tells_both(listener: psycopg.Connection[Any], config: PluginConfig) -> None:
    told(listener)

    PluginConfig.objects.filter(key="meta").update(key="renamed")

    assert told(listener) == ["meta", "renamed"]


def test_a_rolled_back_write_tells_nothing(
    listener: psycopg.Connection[Any], config: PluginConfig
) -> None:
    told(listener)

    def write_then_fail() -> None:
        with transaction.atomic():
            PluginConfig.objects.filter(key="meta").update(metadata={"colour": "red"})
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert told(listener) == []


def test_a_truncate_tells_every_plugin(
    listener: psycopg.Connection[Any], config: PluginConfig
) -> None:
    told(listener)

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PluginConfig._meta.db_table} CASCADE")

    assert told(listener) == [""]


@pytest.fixture
def cached_meta(config: PluginConfig) -> Iterator[list[str]]:
    """The cache on, holding "meta"; the list names each load after that."""
    metadata_cache.enable()
    loads: list[str] = []
    metadata_cache.get("meta", lambda: "cached")
    yield loads
    metadata_cache.disable()


def _load(loads: list[str]) -> str:
    loads.append("meta")
    return "loaded"


def test_the_watcher_forgets_what_a_metadata_notice_names_and_waits_on(
    listener: psycopg.Connection[Any], cached_meta: list[str]
) -> None:
    PluginConfig.objects.filter(key="meta").update(metadata={"colour": "red"})

    assert watcher._wait_for_change(listener, 0.5) is None  # no version moved: a quiet wait
    assert metadata_cache.get("meta", lambda: _load(cached_meta)) == "loaded"
    assert metadata_cache.get("meta", lambda: _load(cached_meta)) == "loaded"
    assert cached_meta == ["meta"]


def test_metadata_notices_among_version_bumps(
    listener: psycopg.Connection[Any], cached_meta: list[str]
) -> None:
    PluginConfig.objects.filter(key="meta").update(metadata={"colour": "red"})
    bumped = bump_version(Change.STATE)

    assert watcher._wait_for_change(listener, 5) == [Notice(bumped)]
    assert metadata_cache.get("meta", lambda: _load(cached_meta)) == "loaded"


def test_a_truncate_notice_forgets_everything(
    listener: psycopg.Connection[Any], cached_meta: list[str]
) -> None:
    with another_connection() as other:
        other.execute("SELECT pg_notify(%s, '')", [METADATA_CHANNEL])

    assert watcher._wait_for_change(listener, 0.5) is None
    assert metadata_cache.get("meta", lambda: _load(cached_meta)) == "loaded"


def test_in_a_burst_the_watcher_takes_every_notice_of_its_settle_time_at_once(
    listener: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = bump_version(Change.STATE)
    meanwhile: list[Notice] = []
    real_sleep = time.sleep

    def settle(seconds: float) -> None:  # what other workers commit meanwhile
        assert seconds == watcher.SETTLE_SECONDS
        meanwhile.append(Notice(bump_version(Change.STATE)))
        meanwhile.append(Notice(bump_version(Change.SETTINGS, scope="sample"), "sample"))
        real_sleep(0.5)  # their NOTIFYs reach the listener's socket

    monkeypatch.setattr(watcher.time, "sleep", settle)
    batch = watcher._wait_for_change(listener, 5, settle=watcher.SETTLE_SECONDS)

    assert batch == [Notice(first), *meanwhile]


def test_without_a_settle_time_the_wait_takes_what_came_without_sleeping(
    listener: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    bumped = bump_version(Change.STATE)
    monkeypatch.setattr(watcher.time, "sleep", lambda seconds: pytest.fail("settled"))

    assert watcher._wait_for_change(listener, 5) == [Notice(bumped)]


def test_a_change_on_its_own_is_taken_at_once_and_one_in_a_burst_settles() -> None:
    first = float("-inf")  # no batch yet
    assert watcher._settle_time(first, 100.0) == 0.0
    assert watcher._settle_time(100.0, 100.0 + watcher.BURST_SECONDS / 2) == (
        watcher.SETTLE_SECONDS
    )
    assert watcher._settle_time(100.0, 100.0 + watcher.BURST_SECONDS * 2) == 0.0


def test_activations_tell_what_they_did_to_the_config_rows_and_reloads_do_not(
    listener: psycopg.Connection[Any], data_dir: Path, settings: Settings
) -> None:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    bump_version(Change.STATE)  # the state row exists, as on any server past its first change
    rebuild(Discovery.RECOLLECT)
    list(listener.notifies(timeout=0.2))  # what was told so far

    plugins.activate("sample")
    plugins.deactivate("sample")
    reload_registry(Discovery.REUSE)  # reads them all again, everywhere: untold
    reload_registry(Discovery.RECOLLECT)

    told = watcher._wait_for_change(listener, 5, settle=0.5)
    holder.reset()
    assert told is not None
    assert [notice.configs for notice in told] == [{"sample": True}, {"sample": False}, None, None]
