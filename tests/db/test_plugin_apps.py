"""AppMixin plugins' Django apps join a running process, or wait for a restart, and say so."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from pytest_django import Settings

from plughost.core.definition import Stage
from plughost.core.errors import IllegalStateChangeError
from plughost.db.models import AuditEntry, PluginConfig
from plughost.runtime import holder
from plughost.services import plugin_apps, plugins
from plughost.services.guarded_writes import DecideAgain
from plughost.services.registry import Discovery, current_registry, rebuild
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.django_db

MODELS = """
from django.db import models


class Thing(models.Model):
    name = models.CharField(max_length=20)
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path; Django's app registry and sys.modules are restored afterwards."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    configs = dict(apps.app_configs)
    labels = set(apps.all_models)
    yield folder
    apps.app_configs = configs
    for label in set(apps.all_models) - labels:
        del apps.all_models[label]
    apps.clear_cache()
    for name in [n for n in sys.modules if n.startswith("phtest_")]:
        del sys.modules[name]
    plugin_apps._needs_restart.clear()


def package(site: Path, name: str, files: dict[str, str]) -> None:
    root = site.joinpath(*name.split("."))
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    for relative, text in files.items():
        (root / relative).write_text(textwrap.dedent(text))


def test_an_app_joins_the_running_process_once(site: Path) -> None:
    package(site, "phtest_notes", {"models.py": MODELS})

    config = plugin_apps.ensure_app("notes", "phtest_notes")

    assert apps.get_app_config("phtest_notes") is config
    thing = apps.get_model("phtest_notes", "Thing")
    assert thing._meta.db_table == "phtest_notes_thing"
    assert plugin_apps.ensure_app("notes", "phtest_notes") is config


def test_models_clashing_with_loaded_ones_need_a_restart(site: Path) -> None:
    package(site, "phtest_clash", {"models.py": MODELS})
    # What an earlier version of the package left in this process.
    type(
        "Thing",
        (models.Model,),
        {
            "__module__": "phtest_old.models",
            "Meta": type("Meta", (), {"app_label": "phtest_clash"}),
        },
    )

    with pytest.raises(plugin_apps.AppRestartNeeded, match="restart the server"):
        plugin_apps.ensure_app("clash", "phtest_clash")

    assert plugin_apps.needs_restart("clash")
    assert "phtest_clash" not in apps.app_configs
    with pytest.raises(plugin_apps.AppRestartNeeded):  # remembered: no second attempt
        plugin_apps.ensure_app("clash", "phtest_clash")


def test_a_label_taken_by_another_app_is_refused(site: Path) -> None:
    package(site, "phtest_pkg", {})
    package(site, "phtest_pkg.auth", {})

    with pytest.raises(IllegalStateChangeError, match=r"label 'auth'.*django\.contrib\.auth"):
        plugin_apps.ensure_app("auth-plugin", "phtest_pkg.auth")


APP_PLUGIN = """
from plugin import InvenTreePlugin
from plugin.mixins import AppMixin


class Waiting(AppMixin, InvenTreePlugin):
    NAME = "Waiting"
"""


@pytest.fixture
def waiting(site: Path, settings: Settings, data_dir: Path) -> Iterator[None]:
    folder = data_dir / "plugins"
    folder.mkdir()
    (folder / "waiting.py").write_text(APP_PLUGIN)
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    yield
    holder.reset()


@pytest.mark.usefixtures("waiting")
def test_activation_says_when_a_restart_is_needed(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = f"Its Django app clashes with models loaded earlier; {plugin_apps.RESTART_NEEDED}"
    monkeypatch.setitem(plugin_apps._needs_restart, "waiting", reason)
    client = api_client("superuser")

    response = client.patch("/api/plugins/waiting/activate/", {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"active": True, "restart_required": True}
    assert not current_registry().is_loaded("waiting")
    errors = client.get("/api/plugins/status/").json()["registry_errors"]
    assert {"stage": Stage.APP.value, "name": "waiting", "message": reason} in errors


@pytest.mark.usefixtures("waiting")
def test_an_app_plugin_that_joins_is_loaded(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/waiting/activate/", {}, format="json")

    assert response.json() == {"active": True}
    assert current_registry().is_loaded("waiting")


@pytest.mark.usefixtures("waiting")
def test_an_app_plugin_decided_on_an_unchecked_snapshot_is_decided_again() -> None:
    # The snapshot says active; another process may have deactivated it since, and an
    # activation's guard checks only the installed plugins' version: its app is prepared
    # (or found prepared) on a checked registry only.
    PluginConfig.objects.filter(key="waiting").update(active=True)
    rebuild(Discovery.REUSE)
    snapshot = holder.snapshot
    unchecked = (snapshot.registry, (snapshot.version, snapshot.collect_version))
    PluginConfig.objects.filter(key="waiting").update(active=False)  # elsewhere, unseen

    with pytest.raises(DecideAgain):
        plugins.activate("waiting", unchecked=unchecked)

    assert not PluginConfig.objects.get(key="waiting").active
    assert not AuditEntry.objects.exists()  # nothing done, nothing recorded
