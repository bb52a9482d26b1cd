"""A rebuild that knows every change since its snapshot regroups the config rows unread.

It knows them from the NOTIFYs (the watcher) or from the state row's ``recent_changes``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from plughost.db.models import PluginConfig, RegistryState
from plughost.runtime import holder
from plughost.services import plugins
from plughost.services.registry import (
    CONFIG_ORDER,
    Discovery,
    ensure_current,
    rebuild,
    reload_registry,
)
from plughost.services.state import (
    RECENT_CHARACTERS,
    Change,
    bump_version,
    read_changes,
    read_versions,
    recent_changes,
)

pytestmark = pytest.mark.django_db

# Names whose order the database's collation decides (case, accents, punctuation).
NAMES = {
    "sample": "beta",
    "samplecurrencyexchange": "Alpha",
    "sampleevent": "_gamma",
    "simpleaction": "Éclair",
    "schedule": "delta",
}


@pytest.fixture(autouse=True)
def _registry(data_dir: Path, settings: Settings) -> None:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    for key, name in NAMES.items():
        PluginConfig.objects.filter(key=key).update(name=name)
    bump_version(Change.STATE)  # as a rename through discovery would
    ensure_current()


def config_reads(queries: CaptureQueriesContext) -> list[str]:
    """The reads of every config row (``read_config_rows``) among ``queries``."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"package_name"' in q["sql"] and "ORDER BY" in q["sql"]
    ]


def stored_order() -> list[str]:
    return list(PluginConfig.objects.order_by(*CONFIG_ORDER).values_list("key", flat=True))


def stored_flags() -> dict[str, bool]:
    return dict(PluginConfig.objects.values_list("key", "active"))


def snapshot_flags() -> dict[str, bool]:
    return {key: row["active"] for key, row in holder.snapshot.configs.items()}


def test_activations_keep_the_list_order_without_reading_the_configs() -> None:
    for change in (
        lambda: plugins.activate("simpleaction"),
        lambda: plugins.activate("sample"),
        lambda: plugins.deactivate("simpleaction"),
        lambda: plugins.activate("sampleevent"),
    ):
        with CaptureQueriesContext(connection) as queries:
            change()

        assert config_reads(queries) == []
        assert list(holder.snapshot.configs) == stored_order()
        assert snapshot_flags() == stored_flags()


def test_a_change_elsewhere_in_between_makes_the_rebuild_read_them() -> None:
    # Another process renames a plugin and bumps; this one has not caught up yet.
    PluginConfig.objects.filter(key="schedule").update(name="aardvark")
    bump_version(Change.STATE)

    with CaptureQueriesContext(connection) as queries:
        plugins.activate("simpleaction")

    assert len(config_reads(queries)) == 1
    assert holder.snapshot.configs["schedule"]["name"] == "aardvark"
    assert list(holder.snapshot.configs) == stored_order()


def test_a_watcher_told_of_every_change_reads_no_config_row() -> None:
    # Two activations by another process, each told by its NOTIFY.
    known = {}
    for key in ("simpleaction", "sample"):
        PluginConfig.objects.filter(key=key).update(active=True)
        bumped = bump_version(Change.STATE, configs={key: True})
        known[bumped.version] = {key: True}

    with CaptureQueriesContext(connection) as queries:
        ensure_current(bumped, notified={}, known=known)

    assert config_reads(queries) == []
    assert holder.snapshot.version == bumped.version
    assert list(holder.snapshot.configs) == stored_order()
    assert snapshot_flags() == stored_flags()


def test_a_change_no_notice_tells_of_makes_the_watcher_read_them() -> None:
    PluginConfig.objects.filter(key="simpleaction").update(active=True)
    told = bump_version(Change.STATE, configs={"simpleaction": True})
    PluginConfig.objects.filter(key="schedule").delete()  # its notice says nothing
    untold = bump_version(Change.STATE)

    with CaptureQueriesContext(connection) as queries:
        ensure_current(untold, notified={}, known={told.version: {"simpleaction": True}})

    assert len(config_reads(queries)) == 1
    assert "schedule" not in holder.snapshot.configs
    assert snapshot_flags() == stored_flags()


def test_a_reload_reads_them_and_takes_in_a_change_made_behind_the_servers_back() -> None:
    plugins.activate("sample")
    PluginConfig.objects.filter(key="schedule").update(active=True)  # in the database, no bump

    with CaptureQueriesContext(connection) as queries:
        reload_registry(Discovery.REUSE)

    assert len(config_reads(queries)) == 1
    assert holder.snapshot.configs["schedule"]["active"]
    assert list(holder.snapshot.configs) == stored_order()


def kept_change_reads(queries: CaptureQueriesContext) -> list[str]:
    """The reads of the state row's ``recent_changes`` among ``queries``."""
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "recent_changes"')
    ]


def test_a_process_told_nothing_learns_the_flags_from_the_kept_changes() -> None:
    # Two activations by another process; this one heard no NOTIFY (SQLite, or a poll).
    for key in ("simpleaction", "sample"):
        PluginConfig.objects.filter(key=key).update(active=True)
        bumped = bump_version(Change.STATE, configs={key: True})

    with CaptureQueriesContext(connection) as queries:
        ensure_current()

    assert config_reads(queries) == []
    assert len(kept_change_reads(queries)) == 1
    assert holder.snapshot.version == bumped.version
    assert list(holder.snapshot.configs) == stored_order()
    assert snapshot_flags() == stored_flags()


def test_a_notice_of_a_reload_makes_it_read_the_rows_without_asking_the_kept_changes() -> None:
    PluginConfig.objects.filter(key="schedule").update(active=True)
    bumped = bump_version(Change.STATE)  # a reload elsewhere: its notice has no flag

    with CaptureQueriesContext(connection) as queries:
        ensure_current(bumped, notified={}, known={bumped.version: None})

    assert kept_change_reads(queries) == []
    assert len(config_reads(queries)) == 1
    assert snapshot_flags() == stored_flags()


def test_versions_older_than_the_snapshot_are_read_again_not_built() -> None:
    before = read_versions()
    plugins.activate("simpleaction")  # the snapshot is newer than ``before`` now
    version = holder.snapshot.version

    with CaptureQueriesContext(connection) as queries:
        ensure_current(before, notified={}, known={})

    assert config_reads(queries) == []
    assert kept_change_reads(queries) == []
    assert len(queries.captured_queries) == 1  # the versions, read: they are the snapshot's
    assert holder.snapshot.version == version


def _kept() -> str:
    return RegistryState.objects.get().recent_changes


def test_only_changes_that_tell_their_flag_are_kept() -> None:
    flag = bump_version(Change.STATE, configs={"sample": True})
    bump_version(Change.SETTINGS, scope="sample")  # no version moved
    reload = bump_version(Change.STATE)  # a reload: unknown, as one not kept says
    install = bump_version(Change.PACKAGES)
    two = bump_version(Change.STATE, configs={"sample": True, "schedule": False})

    assert recent_changes(_kept()) == {flag.version: {"sample": True}}
    assert _kept().endswith(f"\n{flag.version} =+sample")
    assert read_changes(flag.version - 1, two.version) == {flag.version: {"sample": True}}
    assert read_changes(flag.version, two.version) == {}
    assert {reload.version, install.version, two.version}.isdisjoint(recent_changes(_kept()))


def test_the_end_of_the_changes_is_kept() -> None:
    first = bump_version(Change.STATE, configs={"sample": True})
    for number in range(200):
        last = bump_version(Change.STATE, configs={"schedule": number % 2 == 0})

    kept = recent_changes(_kept())

    assert len(_kept()) <= RECENT_CHARACTERS
    assert first.version not in kept
    assert max(kept) == last.version
    assert kept[last.version] == {"schedule": False}
    # Every change kept is whole and in order: the cut-off one before them is skipped.
    assert list(kept) == list(range(min(kept), last.version + 1))
    assert len(kept) > 50


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("", {}),
        ("\n3 =+a\n4 =-b", {3: {"a": True}, 4: {"b": False}}),
        ("3 =+cut\n14 =+a", {14: {"a": True}}),  # "3" may be the end of "13": skipped
        ("\n5 ", {5: None}),  # a token that tells no flag: unknown
    ],
)
def test_recent_changes_are_read_line_by_line(text: str, told: dict[int, object]) -> None:
    assert recent_changes(text) == told


def test_recent_changes_are_read_back_to_a_version() -> None:
    text = "\n3 =+a\n4 =-b\n6 =+c"

    assert recent_changes(text, after=3) == {4: {"b": False}, 6: {"c": True}}
    assert list(recent_changes(text, after=3)) == [4, 6]  # oldest first
    assert recent_changes(text, after=6) == {}
