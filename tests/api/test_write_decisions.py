"""PostgreSQL: setting writes and activations decide on the current snapshot, checked by
their statement.

A write must never act on a registry older than a change another process has committed,
nor answer 404 for a plugin another process has installed. On PostgreSQL the write's one
statement checks that the snapshot's versions are still the stored ones; when they moved,
the write does nothing and is decided again on a registry checked now.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from plughost.db.models import AuditEntry, PluginConfig, PluginSetting
from plughost.runtime import holder
from plughost.services.registry import ensure_current
from plughost.services.state import Change, bump_version, read_versions
from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.usefixtures("registry"), pytest.mark.django_db(transaction=True)]

URL = "/api/plugins/sample/settings/NUMERICAL_SETTING/"


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("one-statement writes, and their check of the versions, are PostgreSQL's")


def _stored() -> str:
    return PluginSetting.objects.get(plugin__key="sample", key="NUMERICAL_SETTING").value


def test_a_write_on_a_current_snapshot_is_one_statement(api_client: ApiClientFactory) -> None:
    client = api_client("staff")
    client.patch(URL, {"value": 1}, format="json")  # the connection and caches are warm

    with CaptureQueriesContext(connection) as queries:
        response = client.patch(URL, {"value": 2}, format="json")

    assert response.status_code == 200
    assert response.json()["value"] == "2"
    assert _stored() == "2"
    state = [q["sql"] for q in queries.captured_queries if "registrystate" in q["sql"]]
    assert len(state) == 1  # no version read: the write's statement checks them
    assert state[0].startswith("WITH stored AS")


def test_a_write_after_a_change_elsewhere_is_decided_again(api_client: ApiClientFactory) -> None:
    client = api_client("staff")
    before = holder.snapshot.version
    bump_version(Change.STATE)  # another process activated something; not seen here yet

    response = client.patch(URL, {"value": 7}, format="json")

    assert response.status_code == 200
    assert _stored() == "7"
    assert holder.snapshot.version == read_versions().version == before + 1  # caught up
    assert [(e.target, e.result) for e in AuditEntry.objects.all()] == [
        ("sample:NUMERICAL_SETTING", "ok")  # once: the first attempt did nothing
    ]


def test_a_refusal_decided_on_an_old_snapshot_is_decided_again(
    api_client: ApiClientFactory,
) -> None:
    bump_version(Change.STATE)
    before = _stored()

    response = api_client("staff").patch(URL, {"value": "many"}, format="json")

    assert response.status_code == 400
    assert "value" in response.json()
    assert _stored() == before
    assert holder.snapshot.version == read_versions().version  # refused on a checked one
    assert [e.result for e in AuditEntry.objects.all()] == ["failed"]


def test_a_plugin_installed_elsewhere_is_not_a_404(
    api_client: ApiClientFactory, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "plugins"
    (folder / "lateplugin").mkdir(parents=True)
    (folder / "lateplugin" / "__init__.py").write_text(
        "from plugin import InvenTreePlugin\n"
        "from plugin.mixins import SettingsMixin\n\n\n"
        "class LatePlugin(SettingsMixin, InvenTreePlugin):\n"
        '    NAME = "LatePlugin"\n'
        '    SLUG = "lateplugin"\n'
        '    SETTINGS = {"COLOUR": {"name": "Colour", "default": "red"}}\n',
        encoding="utf-8",
    )
    settings.PLUGHOST_PLUGIN_DIRS = (folder,)
    bump_version(Change.PACKAGES)  # another worker installed it
    assert holder.current().find_definition("lateplugin") is None  # not caught up yet

    response = api_client("staff").patch(
        "/api/plugins/lateplugin/settings/COLOUR/", {"value": "blue"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["value"] == "blue"


def test_an_unknown_plugin_is_a_404_and_records_no_success(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(
        "/api/plugins/nosuchplugin/settings/X/", {"value": 1}, format="json"
    )

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(result="ok").exists()


ACTIVATE = "/api/plugins/sample/activate/"


def _entries() -> list[tuple[str, str]]:
    return [(entry.action, entry.result) for entry in AuditEntry.objects.order_by("id")]


def test_an_activation_on_a_current_snapshot_reads_no_versions(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client("superuser")
    bump_version(Change.STATE)  # the state row exists, as on any server past its first change
    ensure_current()
    monkeypatch.setattr(holder, "watched", True)  # as in a server: no checks of its own

    with CaptureQueriesContext(connection) as queries:
        response = client.patch(ACTIVATE, {"active": True}, format="json")

    assert response.status_code == 200
    assert response.json() == {"active": True}
    assert PluginConfig.objects.get(key="sample").active
    assert holder.current().is_loaded("sample")
    state = [q["sql"] for q in queries.captured_queries if "registrystate" in q["sql"]]
    assert len(state) == 1
    assert state[0].startswith("WITH stored AS")
    assert _entries() == [("activate", "ok")]


def test_an_activation_after_another_plugins_change_is_not_decided_again(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder, "watched", True)  # as in a server: no checks of its own
    # Another process activated another plugin; not seen here yet. Whether this one may be
    # activated rests on its definition alone, which that does not change.
    PluginConfig.objects.filter(key="samplecurrencyexchange").update(active=True)
    bump_version(Change.STATE)

    with CaptureQueriesContext(connection) as queries:
        response = api_client("superuser").patch(ACTIVATE, {"active": True}, format="json")

    assert response.status_code == 200
    assert PluginConfig.objects.get(key="sample").active
    state = [q["sql"] for q in queries.captured_queries if "registrystate" in q["sql"]]
    assert len(state) == 1  # the one statement, guarded by the installed plugins' version
    assert state[0].startswith("WITH stored AS")
    assert holder.snapshot.version == read_versions().version
    assert holder.current().is_loaded("sample")
    assert holder.snapshot.configs["samplecurrencyexchange"]["active"]  # read, not assumed
    assert _entries() == [("activate", "ok")]


def test_an_activation_after_plugins_changed_elsewhere_is_decided_again(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder, "watched", True)
    bump_version(Change.PACKAGES)  # another process installed or collected; not seen here yet

    with CaptureQueriesContext(connection) as queries:
        response = api_client("superuser").patch(ACTIVATE, {"active": True}, format="json")

    assert response.status_code == 200
    assert PluginConfig.objects.get(key="sample").active
    state = [q["sql"] for q in queries.captured_queries if "registrystate" in q["sql"]]
    # The guarded statement did nothing but tell the stored versions: decided again on them
    # (no read of its own), with the second statement unguarded.
    assert [sql.split(" AS ")[0] for sql in state] == ["WITH stored", "WITH written"]
    assert holder.snapshot.collect_version == read_versions().collect_version
    assert _entries() == [("activate", "ok")]


def test_activating_an_active_plugin_changes_nothing_and_is_recorded_once(
    api_client: ApiClientFactory,
) -> None:
    client = api_client("superuser")
    client.patch(ACTIVATE, {"active": True}, format="json")
    before = read_versions()

    response = client.patch(ACTIVATE, {"active": True}, format="json")

    assert response.status_code == 200
    assert response.json() == {"active": True}
    assert read_versions() == before  # no bump for a no-op
    assert _entries() == [("activate", "ok"), ("activate", "ok")]


def test_a_refused_deactivation_is_decided_on_a_checked_registry(
    api_client: ApiClientFactory,
) -> None:
    bump_version(Change.STATE)

    response = api_client("superuser").patch(
        "/api/plugins/plughost/activate/", {"active": False}, format="json"
    )

    assert response.status_code == 400
    assert "mandatory" in response.json()["active"][0]
    assert PluginConfig.objects.get(key="plughost").active
    assert holder.snapshot.version == read_versions().version
    assert _entries() == [("deactivate", "failed")]


METADATA = "/api/plugins/sample/metadata/"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_metadata_write_on_a_current_snapshot_reads_no_versions(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    client = api_client("staff")
    bump_version(Change.STATE)
    ensure_current()
    monkeypatch.setattr(holder, "watched", True)
    client.put(METADATA, {"metadata": {"a": 1}}, format="json")

    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(METADATA, {"metadata": {"b": 2}}, format="json")

    assert response.status_code == 200
    expected = {"a": 1, "b": 2} if method == "patch" else {"b": 2}
    assert response.json() == {"metadata": expected}
    assert PluginConfig.objects.get(key="sample").metadata == expected
    assert len(queries.captured_queries) == 1  # the guarded UPDATE, nothing else
    assert queries.captured_queries[0]["sql"].startswith("UPDATE")
    assert "registrystate" in queries.captured_queries[0]["sql"]


def test_a_metadata_write_after_a_change_elsewhere_is_decided_again(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder, "watched", True)
    bump_version(Change.STATE)  # not seen here yet: a validation plugin may have come in

    with CaptureQueriesContext(connection) as queries:
        response = api_client("staff").patch(METADATA, {"metadata": {"c": 3}}, format="json")

    assert response.status_code == 200
    assert PluginConfig.objects.get(key="sample").metadata == {"c": 3}
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert any("registrystate" in sql for sql in reads)  # checked, then written
    assert holder.snapshot.version == read_versions().version


def test_a_metadata_write_for_a_plugin_deleted_elsewhere_is_a_404(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder, "watched", True)
    PluginConfig.objects.filter(key="sample").delete()  # elsewhere, without a bump: unseen

    response = api_client("staff").patch(METADATA, {"metadata": {"c": 3}}, format="json")

    assert response.status_code == 404
