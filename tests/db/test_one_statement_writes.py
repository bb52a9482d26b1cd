"""PostgreSQL: a setting write or an activation, its audit entry and its bump in one statement."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from plughost.core.errors import InvalidSettingValueError
from plughost.db.models import (
    AuditAction,
    AuditEntry,
    PluginConfig,
    PluginSetting,
    RegistryState,
)
from plughost.runtime import holder
from plughost.services import plugin_settings, plugins
from plughost.services.audit import Actor, new_entry
from plughost.services.guarded_writes import GUARD, DecideAgain, Seen, write_and_bump
from plughost.services.registry import Discovery, decide_write, ensure_current, rebuild
from plughost.services.state import (
    CHANNEL,
    Change,
    Notice,
    bump_version,
    parse_payload,
    read_versions,
)
from tests.db.postgres_support import another_connection

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN = Actor(username="admin", address="10.0.0.7")
SETTING = "NUMERICAL_SETTING"


@pytest.fixture(autouse=True)
def _samples_on_postgres(data_dir: Path, settings: Settings) -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("one-statement writes are PostgreSQL's (data-modifying CTEs)")
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    bump_version(Change.STATE)  # the state row exists, as on any server past its first change
    rebuild(Discovery.RECOLLECT)
    ensure_current()  # the setting cache knows the stored settings version, as a server's does
    yield
    holder.reset()


def _writes(queries: CaptureQueriesContext) -> list[str]:
    """Every statement that is not a plain read (BEGIN and COMMIT included)."""
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]


def _stored_value() -> str:
    return PluginSetting.objects.get(plugin__key="sample", key=SETTING).value


def test_a_setting_write_is_one_statement_with_its_entry(django_assert_num_queries: Any) -> None:
    registry = holder.current()
    plugin_settings.list_plugin_settings(registry, "sample")  # the rows are cached
    before = read_versions()

    with CaptureQueriesContext(connection) as queries:
        view = plugin_settings.update_setting("sample", SETTING, 77, actor=ADMIN)

    [statement] = _writes(queries)
    assert statement.startswith("WITH written AS (UPDATE")
    assert view.row.value == "77"
    assert _stored_value() == "77"
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.address, entry.action, entry.target, entry.result) == (
        "admin",
        "10.0.0.7",
        "setting",
        f"sample:{SETTING}",
        "ok",
    )
    assert entry.message == "value set to '77'"
    after = replace(before, settings_version=before.settings_version + 1)
    assert read_versions() == after
    assert holder.settings_version == after.settings_version
    with django_assert_num_queries(0):  # the cache holds the written row
        assert plugin_settings.get_setting(registry, "sample", SETTING).row.value == "77"


def test_a_setting_write_reads_no_rows_when_they_are_not_cached() -> None:
    plugin_settings.list_plugin_settings(holder.current(), "plughost")  # its switches: cached
    # Another process's write to the plugin made this one forget its rows.
    config_id = holder.snapshot.configs["sample"]["id"]
    holder.forget(plugin_settings.rows_marker(config_id))

    with CaptureQueriesContext(connection) as queries:
        view = plugin_settings.update_setting("sample", SETTING, 76, actor=ADMIN)

    assert [q["sql"] for q in queries.captured_queries if "pluginsetting" in q["sql"]] == [
        _writes(queries)[0]
    ]
    assert len(_writes(queries)) == 1
    stored = PluginSetting.objects.get(plugin__key="sample", key=SETTING)
    assert (view.row.pk, view.row.key, view.row.value) == (stored.pk, SETTING, "76")
    assert view.row.protected == stored.protected
    assert view.row.hidden == stored.hidden
    assert view.row.plugin_id == config_id


def test_an_invalid_value_changes_nothing_and_its_failure_is_recorded() -> None:
    plugin_settings.list_plugin_settings(holder.current(), "sample")
    before, value = read_versions(), _stored_value()

    with pytest.raises(InvalidSettingValueError):
        plugin_settings.update_setting("sample", SETTING, "not a number", actor=ADMIN)

    assert (_stored_value(), read_versions()) == (value, before)
    entry = AuditEntry.objects.get()
    assert (entry.target, entry.result) == (f"sample:{SETTING}", "failed")


def test_a_write_by_plugin_code_writes_no_entry() -> None:
    plugin_settings.list_plugin_settings(holder.current(), "sample")

    plugin_settings.update_setting("sample", SETTING, 78)

    assert _stored_value() == "78"
    assert not AuditEntry.objects.exists()


def test_a_row_deleted_since_it_was_cached_is_stored_the_general_way() -> None:
    plugin_settings.list_plugin_settings(holder.current(), "sample")
    PluginSetting.objects.filter(plugin__key="sample", key=SETTING).delete()

    view = plugin_settings.update_setting("sample", SETTING, 79, actor=ADMIN)

    assert view.row.value == "79"
    assert _stored_value() == "79"
    [entry] = AuditEntry.objects.all()  # one entry: the withdrawn attempt records nothing
    assert entry.result == "ok"


def test_nothing_happens_when_the_write_matches_no_row() -> None:
    before = read_versions()
    entry = new_entry(AuditAction.SETTING, "x:Y", ADMIN, ok=True)
    table = connection.ops.quote_name(PluginSetting._meta.db_table)

    written = write_and_bump(
        Change.SETTINGS,
        f'UPDATE {table} SET "value" = %s WHERE "id" = %s AND {GUARD} RETURNING "id"',
        ["x", -1],
        insert=entry,
    )

    assert written is None
    assert read_versions() == before
    assert not AuditEntry.objects.exists()


def test_a_write_on_a_database_without_its_state_row_still_bumps() -> None:
    RegistryState.objects.all().delete()
    row = PluginSetting.objects.get(plugin__key="sample", key=SETTING)
    table = connection.ops.quote_name(PluginSetting._meta.db_table)

    written = write_and_bump(
        Change.SETTINGS,
        f'UPDATE {table} SET "value" = %s WHERE "id" = %s AND {GUARD} RETURNING "id", "value"',
        ["80", row.pk],
    )

    assert written is not None
    assert written.versions.settings_version == 1
    assert written.row == (row.pk, "80")  # what the write returned
    assert read_versions() == written.versions
    assert _stored_value() == "80"


def test_an_activation_is_one_statement_with_its_entry() -> None:
    with CaptureQueriesContext(connection) as queries:
        plugins.activate("sample", actor=ADMIN)

    [statement] = _writes(queries)
    assert statement.startswith("WITH written AS (UPDATE")
    assert PluginConfig.objects.get(key="sample").active
    assert holder.current().is_loaded("sample")
    assert holder.snapshot.version == read_versions().version
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.target, entry.result) == ("activate", "sample", "ok")

    plugins.deactivate("sample", actor=ADMIN)

    assert not PluginConfig.objects.get(key="sample").active
    assert not holder.current().is_loaded("sample")
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["activate", "deactivate"]


def test_activating_an_active_plugin_changes_nothing_but_is_recorded() -> None:
    plugins.activate("sample", actor=ADMIN)
    before = read_versions()

    plugins.activate("sample", actor=ADMIN)

    assert read_versions() == before
    assert [e.result for e in AuditEntry.objects.order_by("id")] == ["ok", "ok"]


def test_a_write_decided_on_versions_no_longer_stored_does_nothing() -> None:
    decided_on = (holder.snapshot.version, holder.snapshot.collect_version)
    bump_version(Change.STATE)  # another process activated something meanwhile
    before = read_versions()
    row = PluginSetting.objects.get(plugin__key="sample", key=SETTING)
    entry = new_entry(AuditAction.SETTING, f"sample:{SETTING}", ADMIN, ok=True)
    table = connection.ops.quote_name(PluginSetting._meta.db_table)
    update = f'UPDATE {table} SET "value" = %s WHERE "id" = %s AND {GUARD} RETURNING "id"'

    with pytest.raises(DecideAgain) as again:
        write_and_bump(Change.SETTINGS, update, ["81", row.pk], insert=entry, decided_on=decided_on)

    # It tells what it found stored, and each change since the snapshot: unknown (None),
    # as a reload tells no flag, so the rebuild reads the rows without asking again.
    assert again.value.seen == Seen(before, {before.version: None})
    assert (read_versions(), _stored_value()) == (before, row.value)
    assert not AuditEntry.objects.exists()
    current = (before.version, before.collect_version)
    written = write_and_bump(Change.SETTINGS, update, ["81", row.pk], decided_on=current)
    assert written is not None
    assert _stored_value() == "81"


def test_a_setting_write_on_the_current_snapshot_reads_no_versions() -> None:
    decided_on = (holder.snapshot.version, holder.snapshot.collect_version)

    with CaptureQueriesContext(connection) as queries:
        view = plugin_settings.update_setting(
            "sample", SETTING, 82, registry=holder.current(), actor=ADMIN, decided_on=decided_on
        )

    assert view.row.value == "82"
    assert [q["sql"] for q in queries.captured_queries if "registrystate" in q["sql"]] == [
        _writes(queries)[0]  # the guard and the bump, in the one statement
    ]
    assert AuditEntry.objects.get().result == "ok"


@pytest.mark.parametrize("why", ["versions moved", "refused value", "vetted"])
def test_a_setting_write_on_an_unchecked_registry_does_nothing_else(
    why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decided_on = (holder.snapshot.version, holder.snapshot.collect_version)
    value = 83
    if why == "versions moved":
        bump_version(Change.STATE)
    elif why == "refused value":
        value = "not a number"  # an older declaration may be what refuses it
    else:
        monkeypatch.setattr(type(holder.current()), "with_mixin", lambda self, mixin: ["x"])
    before = (read_versions(), _stored_value())

    with pytest.raises(DecideAgain):
        plugin_settings.update_setting(
            "sample", SETTING, value, registry=holder.current(), actor=ADMIN, decided_on=decided_on
        )

    assert (read_versions(), _stored_value()) == before
    assert not AuditEntry.objects.exists()  # nothing recorded: the caller decides again


def _reads_of(queries: CaptureQueriesContext, table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]


def _activated_elsewhere(key: str) -> None:
    """Another process activates ``key``; this one has not heard of it yet."""
    PluginConfig.objects.filter(key=key).update(active=True)
    bump_version(Change.STATE, configs={key: True})


@pytest.mark.parametrize("elsewhere", ["sample", "simpleaction"])
def test_an_activation_on_a_stale_snapshot_learns_the_changes_from_its_statement(
    elsewhere: str,
) -> None:
    # "sample": another plugin changed meanwhile, so the write goes in and the rebuild must
    # take that change in too. "simpleaction": the same one, so it changes nothing (it
    # settles). Either way the statement told the stored versions and the changes.
    _activated_elsewhere(elsewhere)

    with CaptureQueriesContext(connection) as queries:
        decide_write(lambda unchecked: plugins.activate("simpleaction", unchecked=unchecked))

    assert _reads_of(queries, RegistryState._meta.db_table) == []
    assert _reads_of(queries, PluginConfig._meta.db_table) == []
    assert not [
        q for q in queries.captured_queries if q["sql"].startswith('SELECT "recent_changes"')
    ]
    assert holder.snapshot.version == read_versions().version
    assert {key: row["active"] for key, row in holder.snapshot.configs.items()} == dict(
        PluginConfig.objects.values_list("key", "active")
    )
    assert holder.snapshot.configs["simpleaction"]["active"]


def test_a_write_that_bumps_nothing_notifies_nobody() -> None:
    plugins.activate("simpleaction")
    stale = (holder.snapshot.version, holder.snapshot.collect_version)
    bump_version(Change.PACKAGES)  # before listening: installed elsewhere, not seen here
    with another_connection() as listener:
        listener.execute(f"LISTEN {CHANNEL}")

        with pytest.raises(DecideAgain):  # its guard fails: nothing written
            plugins.deactivate("simpleaction", unchecked=(holder.current(), stale))
        ensure_current()
        current = (holder.snapshot.version, holder.snapshot.collect_version)
        plugins.activate("simpleaction", unchecked=(holder.current(), current))  # active already
        plugins.deactivate("simpleaction", unchecked=(holder.current(), current))
        payloads = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]

    # Only the deactivation's bump: neither statement that bumped nothing sent a notice
    # (they used to send an unreadable one, their token alone).
    assert [parse_payload(payload) for payload in payloads] == [
        Notice(read_versions(), configs={"simpleaction": False})
    ]


def test_activating_an_active_plugin_on_an_unchecked_snapshot_settles_in_one_statement() -> None:
    _activated_elsewhere("simpleaction")  # this process still shows it inactive
    before = read_versions()
    decided_on = (holder.snapshot.version, holder.snapshot.collect_version)

    with CaptureQueriesContext(connection) as queries:
        config = plugins.activate(
            "simpleaction", actor=ADMIN, unchecked=(holder.current(), decided_on)
        )

    assert config.active
    assert len(queries.captured_queries) == 1  # no entry of its own, no read, no rebuild read
    assert read_versions() == before  # nothing bumped
    assert list(AuditEntry.objects.values_list("action", "result")) == [("activate", "ok")]
    assert holder.snapshot.version == before.version  # caught up with whoever activated it
    assert holder.snapshot.configs["simpleaction"]["active"]
