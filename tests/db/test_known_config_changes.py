"""A rebuild that knows every change since its snapshot regroups the config rows unread."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from plughost.db.models import PluginConfig
from plughost.runtime import holder
from plughost.services import plugins
from plughost.services.registry import (
    CONFIG_ORDER,
    Discovery,
    ensure_current,
    rebuild,
    reload_registry,
)
from plughost.services.state import Change, bump_version

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
