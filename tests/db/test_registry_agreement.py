"""The registry service keeps a process in step with the stored versions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.tasks import async_task
from pytest_django import Settings

from plughost.db.models import NodeProcess, PluginConfig, PluginSetting
from plughost.runtime import holder, recent
from plughost.services import nodes, plugin_settings, plugins
from plughost.services.configs import CONFIG_FIELDS
from plughost.services.registry import (
    CONFIG_ORDER,
    NAME_ORDER,
    Discovery,
    ensure_current,
    read_config_rows,
    rebuild,
    reload_registry,
)
from plughost.services.state import Change, bump_version, read_versions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registry(data_dir: Path, settings: Settings) -> None:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)


def test_another_process_activation_is_picked_up_once() -> None:
    # Another process stores the change and bumps the version.
    PluginConfig.objects.filter(key="sample").update(active=True)
    bump_version(Change.STATE)

    first = ensure_current()
    second = ensure_current()

    assert first.is_loaded("sample")
    assert second is first


def test_a_settings_change_elsewhere_clears_cached_values() -> None:
    plughost = holder.current().find_plugin("plughost")
    assert plughost is not None
    assert plughost.get_setting("ENABLE_PLUGINS_URL") is True  # type: ignore[attr-defined]
    registry_before = holder.current()
    # Another process writes the row directly and bumps the settings version.
    config = PluginConfig.objects.get(key="plughost")
    config.settings.filter(key="ENABLE_PLUGINS_URL").update(value="False")
    assert plughost.get_setting("ENABLE_PLUGINS_URL") is True  # type: ignore[attr-defined]
    bump_version(Change.SETTINGS)

    ensure_current()

    assert plughost.get_setting("ENABLE_PLUGINS_URL") is False  # type: ignore[attr-defined]
    assert holder.current() is registry_before  # no rebuild for a setting


def test_a_local_setting_write_is_seen_at_once() -> None:
    plughost = holder.current().find_plugin("plughost")
    assert plughost is not None
    assert plughost.get_setting("ENABLE_PLUGINS_URL") is True  # type: ignore[attr-defined]

    plugin_settings.update_setting("plughost", "ENABLE_PLUGINS_URL", False)

    assert plughost.get_setting("ENABLE_PLUGINS_URL") is False  # type: ignore[attr-defined]
    assert read_versions().settings_version >= 1


def test_a_failed_rebuild_keeps_the_previous_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    before = holder.current()

    def explode() -> None:
        raise RuntimeError("discovery broke")

    monkeypatch.setattr("plughost.services.registry.discover_all", explode)
    # Something changed on disk, so the rebuild rediscovers (and discovery breaks).
    monkeypatch.setattr("plughost.services.registry.sources_fingerprint", lambda: ("changed",))
    after = rebuild(Discovery.RECOLLECT)

    assert after is before
    assert holder.current() is before


def test_node_reports_and_staleness(settings: Settings) -> None:
    settings.PLUGHOST_NODE_ID = "node-a"
    nodes.report(7, reconcile=nodes.ReconcileOutcome(ok=True, message="in step"))
    NodeProcess.objects.create(
        node="node-b", pid=1, registry_version=3, heartbeat=timezone.now() - timedelta(minutes=5)
    )
    NodeProcess.objects.create(
        node="node-c", pid=2, registry_version=1, heartbeat=timezone.now() - timedelta(days=2)
    )

    nodes.report(8)
    reports = {report["node"]: report for report in nodes.node_reports()}

    assert set(reports) == {"node-a", "node-b"}
    assert reports["node-a"]["registry_version"] == 8
    assert reports["node-a"]["stale"] is False
    assert reports["node-a"]["last_reconcile"]["result"] == "in step"
    assert reports["node-b"]["stale"] is True


def test_node_id_is_kept_in_the_data_dir(data_dir: Path) -> None:
    first = nodes.node_id()

    assert (data_dir / "node_id").read_text(encoding="utf-8") == first + "\n"
    assert nodes.node_id() == first


def test_worker_heartbeat_and_queue_show_in_server_info(settings: Settings) -> None:
    settings.PLUGHOST_NODE_ID = "node-w"
    assert nodes.worker_running() is False

    nodes.report(1, role=nodes.Role.WORKER)
    async_task("math.floor", 1.5)

    assert nodes.worker_running() is True
    assert nodes.pending_tasks() == 1
    reports = nodes.node_reports()
    assert [report["role"] for report in reports] == ["worker"]


@pytest.fixture
def watched_process() -> Iterator[None]:
    """This process as a server's: a watcher keeps it current, reads never check."""
    holder.watched = True
    yield
    holder.watched = False


@pytest.mark.usefixtures("watched_process")
def test_a_write_sees_what_another_process_installed_before_the_watcher_wakes(
    settings: Settings, plugin_folder: Path
) -> None:
    # Another worker installed a package: new plugin code, and the collect version moved.
    settings.PLUGHOST_PLUGIN_DIRS = (plugin_folder,)
    bump_version(Change.PACKAGES)
    assert holder.current().find_definition("taskfixture") is None  # not caught up yet

    config = plugins.activate("taskfixture")

    assert config.active
    assert holder.current().is_loaded("taskfixture")


def test_setting_reads_are_cached_until_a_setting_changes_elsewhere(
    django_assert_num_queries: Any,
) -> None:
    registry = holder.current()
    first = plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")
    with django_assert_num_queries(0):
        again = plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")
        listed = plugin_settings.list_plugin_settings(registry, "plughost")
    assert again.row.value == first.row.value == "True"
    assert "ENABLE_PLUGINS_URL" in {view.row.key for view in listed}

    # Another process writes the row and bumps the settings version.
    config = PluginConfig.objects.get(key="plughost")
    config.settings.filter(key="ENABLE_PLUGINS_URL").update(value="False")
    bump_version(Change.SETTINGS)
    ensure_current()

    after = plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")
    assert after.row.value == "False"
    rows = {s.row.key: s.row.value for s in plugin_settings.all_stored_rows()}
    assert rows["ENABLE_PLUGINS_URL"] == "False"


def test_a_local_setting_write_is_read_back_at_once_from_the_cache() -> None:
    registry = holder.current()
    plugin_settings.list_plugin_settings(registry, "plughost")  # cache the rows
    plugin_settings.all_stored_rows()

    plugin_settings.update_setting("plughost", "ENABLE_PLUGINS_URL", False)

    view = plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")
    assert view.row.value == "False"
    rows = {s.row.key: s.row.value for s in plugin_settings.all_stored_rows()}
    assert rows["ENABLE_PLUGINS_URL"] == "False"


def test_consecutive_local_writes_read_their_rows_once(
    django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    """After its commit a write puts its plugin's rows back, with its value, in the cache."""
    registry = holder.current()
    for value in (1, 2):  # the cache catches up with the stored settings version
        with django_capture_on_commit_callbacks(execute=True):
            plugin_settings.update_setting("sample", "NUMERICAL_SETTING", value)

    with CaptureQueriesContext(connection) as queries:
        for value in (3, 4, 5):
            with django_capture_on_commit_callbacks(execute=True):
                plugin_settings.update_setting("sample", "NUMERICAL_SETTING", value)

    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert [sql for sql in reads if "pluginsetting" in sql] == []
    with django_assert_num_queries(0):
        view = plugin_settings.get_setting(registry, "sample", "NUMERICAL_SETTING")
    assert view.row.value == "5"
    stored = PluginConfig.objects.get(key="sample").settings.get(key="NUMERICAL_SETTING")
    assert stored.value == "5"
    assert holder.settings_version == read_versions().settings_version


def test_a_notified_setting_change_forgets_only_its_plugin(
    django_assert_num_queries: Any,
) -> None:
    registry = holder.current()
    ensure_current()  # the cache knows the stored settings version
    plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")  # cached
    plugin_settings.get_setting(registry, "sample", "NUMERICAL_SETTING")

    # Another process writes a setting of "sample"; its NOTIFY names the plugin.
    PluginConfig.objects.get(key="sample").settings.filter(key="NUMERICAL_SETTING").update(
        value="321"
    )
    bumped = bump_version(Change.SETTINGS, scope="sample")
    ensure_current(bumped, notified={bumped.settings_version: "sample"})

    assert holder.settings_version == bumped.settings_version
    with django_assert_num_queries(0):  # another plugin's cached rows stay
        plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")
    view = plugin_settings.get_setting(registry, "sample", "NUMERICAL_SETTING")
    assert view.row.value == "321"


def test_a_setting_change_the_notices_do_not_account_for_forgets_everything(
    django_assert_num_queries: Any,
) -> None:
    registry = holder.current()
    ensure_current()
    plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")

    bump_version(Change.SETTINGS)  # a change nobody was told of (a missed NOTIFY, say)
    bumped = bump_version(Change.SETTINGS, scope="sample")
    ensure_current(bumped, notified={bumped.settings_version: "sample"})

    assert holder.settings_version == bumped.settings_version
    with django_assert_num_queries(1):  # read again
        plugin_settings.get_setting(registry, "plughost", "ENABLE_PLUGINS_URL")


def test_server_info_reads_the_worker_state_at_most_once_a_second(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PLUGHOST_NODE_ID = "node-w"
    clock = [1000.0]
    monkeypatch.setattr(recent.time, "monotonic", lambda: clock[0])
    assert nodes.worker_state() == nodes.WorkerState(running=False, pending_tasks=0)

    nodes.report(1, role=nodes.Role.WORKER)
    async_task("math.floor", 1.5)
    clock[0] += 0.5
    assert nodes.worker_state().running is False  # remembered

    clock[0] += 0.6
    assert nodes.worker_state() == nodes.WorkerState(running=True, pending_tasks=1)


def test_rebuilds_do_not_leave_threads_behind() -> None:
    rebuild(Discovery.REUSE)
    before = threading.active_count()

    for _ in range(30):
        rebuild(Discovery.REUSE)
        rebuild(Discovery.RECOLLECT)

    assert threading.active_count() == before


def test_an_activation_keeps_the_other_plugins_instances_and_a_reload_renews_them() -> None:
    plugins.activate("samplecurrencyexchange")
    before = holder.current().instances["samplecurrencyexchange"]
    builtin = holder.current().instances["plughost"]

    plugins.activate("sample")
    assert holder.current().instances["samplecurrencyexchange"] is before
    assert holder.current().instances["plughost"] is builtin

    reload_registry(Discovery.REUSE)
    assert holder.current().instances["samplecurrencyexchange"] is not before
    assert holder.current().instances["plughost"] is builtin  # host code: nothing to renew


def test_the_config_rows_read_by_plain_sql_are_the_orms() -> None:
    PluginConfig.objects.filter(key="sample").update(active=True, name="")

    assert read_config_rows() == list(
        PluginConfig.objects.order_by(*NAME_ORDER).values(*CONFIG_FIELDS)
    )
    rebuild(Discovery.REUSE)
    assert list(holder.snapshot.configs) == list(
        PluginConfig.objects.order_by(*CONFIG_ORDER).values_list("key", flat=True)
    )


def test_the_plugin_packages_of_a_report_are_scanned_once_per_discovery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scans: list[str] = []
    real = nodes.importlib.metadata.entry_points

    def counting(**kwargs: Any) -> Any:
        scans.append(kwargs.get("group", ""))
        return real(**kwargs)

    monkeypatch.setattr(nodes.importlib.metadata, "entry_points", counting)
    first = nodes.plugin_packages()
    assert nodes.plugin_packages() == first
    assert len(scans) == 1

    holder.reset()
    rebuild(Discovery.RECOLLECT)  # a new discovery: its packages may differ
    scanned = len(scans)
    nodes.plugin_packages()
    nodes.plugin_packages()
    assert len(scans) == scanned + 1


def test_the_setting_rows_read_by_plain_sql_are_the_orms() -> None:
    config = PluginConfig.objects.get(key="sample")
    PluginSetting.objects.filter(plugin=config).update(protected=True)
    PluginSetting.objects.filter(plugin=config, key="NUMERICAL_SETTING").update(
        protected=False, hidden=True, value="7"
    )

    read = plugin_settings.read_setting_rows(config.pk)
    expected = list(PluginSetting.objects.filter(plugin=config))

    assert len(read) == len(expected) > 1
    fields = [field.attname for field in PluginSetting._meta.concrete_fields]
    assert [[getattr(row, name) for name in fields] for row in read] == [
        [getattr(row, name) for name in fields] for row in expected
    ]
    assert all(type(row.protected) is bool and type(row.hidden) is bool for row in read)
