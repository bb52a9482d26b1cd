"""With plugins disabled only the builtin plugins load, and installs are off."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings

from plughost.core.registry import Registry
from plughost.services.registry import Discovery, rebuild
from tests.conftest import ApiClientFactory


@pytest.fixture
def disabled(registry: Registry, settings: Settings, data_dir: Path) -> Registry:
    folder = data_dir / "plugins"
    folder.mkdir(exist_ok=True)
    (folder / "never.py").write_text("raise SystemExit('imported although disabled')\n")
    settings.PLUGHOST_PLUGINS_ENABLED = False
    return rebuild(Discovery.RECOLLECT)


def test_only_builtin_plugins_load(disabled: Registry) -> None:
    assert all(definition.is_builtin for definition in disabled)
    assert disabled.is_loaded("plughost")
    assert disabled.errors == ()  # the folder's file was not even imported


def test_installs_are_off(disabled: Registry, api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(
        "/api/plugins/install/", {"confirm": True, "packagename": "something"}, format="json"
    )

    assert response.status_code == 403
    assert "PLUGHOST_PLUGINS_ENABLED=0" in response.json()["detail"]


def test_server_info_says_so(disabled: Registry, api_client: ApiClientFactory) -> None:
    body = api_client("user").get("/api/").json()

    assert (body["plugins_enabled"], body["plugins_install_disabled"]) == (False, True)
