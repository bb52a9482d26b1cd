"""A short audited change commits with its audit entry, or neither is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import DatabaseError
from pytest_django import Settings

from plughost.db.models import AuditEntry, PluginConfig
from plughost.runtime import holder
from plughost.services import audit, plugin_settings, plugins
from plughost.services.audit import Actor
from plughost.services.registry import Discovery, rebuild

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


def test_when_the_entry_cannot_be_written_the_change_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_record = audit.record

    def failing(*args: object, ok: bool, **kwargs: object) -> object:
        if ok:
            raise DatabaseError("the audit table is full")
        return real_record(*args, ok=ok, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "record", failing)
    settings_version = holder.settings_version

    with pytest.raises(DatabaseError):
        plugin_settings.update_setting("sample", "NUMERICAL_SETTING", 99, actor=ADMIN)

    stored = PluginConfig.objects.get(key="sample").settings.get(key="NUMERICAL_SETTING")
    assert stored.value != "99"  # rolled back with the entry that could not be written
    assert holder.settings_version == settings_version  # the cache is not ahead of the DB
    entry = AuditEntry.objects.get()  # the failure is recorded after the rollback
    assert (entry.result, entry.message) == ("failed", "DatabaseError: the audit table is full")
