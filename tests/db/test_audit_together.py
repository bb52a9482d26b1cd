"""A short audited change commits with its audit entry, or neither is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from plughost.db.models import AuditAction, AuditEntry, PluginConfig
from plughost.runtime import holder
from plughost.services import audit, plugin_settings, plugins
from plughost.services.audit import Actor, audited
from plughost.services.guarded_writes import DecideAgain
from plughost.services.registry import Discovery, rebuild
from plughost.services.state import Change, bump_version, read_versions

pytestmark = pytest.mark.django_db
ADMIN = Actor(username="admin", address="10.0.0.7")


@pytest.fixture(autouse=True)
def _samples(data_dir: Path, settings: Settings) -> None:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)


def test_an_activation_and_its_entry_are_stored_together() -> None:
    plugins.activate("sample", actor=ADMIN)

    assert PluginConfig.objects.get(key="sample").active
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target, entry.result) == ("activate", "sample", "ok")


@pytest.fixture
def success_entries_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing a success entry fails (failure entries are still written)."""
    real_record = audit.record

    def failing(*args: object, ok: bool, **kwargs: object) -> object:
        if ok:
            raise DatabaseError("the audit table is full")
        return real_record(*args, ok=ok, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "record", failing)


@pytest.mark.usefixtures("success_entries_fail")
def test_when_the_entry_cannot_be_written_the_change_is_not_kept() -> None:
    settings_version = holder.settings_version

    with pytest.raises(DatabaseError):
        plugin_settings.update_setting("sample", "NUMERICAL_SETTING", 99, actor=ADMIN)

    stored = PluginConfig.objects.get(key="sample").settings.get(key="NUMERICAL_SETTING")
    assert stored.value != "99"  # rolled back with the entry that could not be written
    assert holder.settings_version == settings_version  # the cache is not ahead of the DB
    entry = AuditEntry.objects.get()  # the failure is recorded after the rollback
    assert (entry.result, entry.message) == ("failed", "DatabaseError: the audit table is full")


@pytest.mark.usefixtures("success_entries_fail")
def test_an_activation_whose_entry_cannot_be_written_is_not_kept() -> None:

    with pytest.raises(DatabaseError):
        plugins.activate("sample", actor=ADMIN)

    assert not PluginConfig.objects.get(key="sample").active
    assert not holder.current().is_loaded("sample")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.result) == ("activate", "failed")


def test_an_activation_reads_the_versions_once() -> None:
    """The rebuild after the commit takes the versions the bump answered."""
    bump_version(Change.STATE)  # the state row exists, as on any server past its first change
    with CaptureQueriesContext(connection) as queries:
        plugins.activate("sample", actor=ADMIN)

    version_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "settings_version" in q["sql"]
    ]
    assert len(version_reads) == 1  # fresh_registry's, before the change
    assert holder.snapshot.version == read_versions().version
    assert holder.current().is_loaded("sample")


def test_a_use_case_told_to_decide_again_records_nothing() -> None:
    with pytest.raises(DecideAgain), audited(AuditAction.SETTING, "sample:X", Actor("admin")):
        raise DecideAgain  # nothing was done; the attempt that follows records

    assert not AuditEntry.objects.exists()
