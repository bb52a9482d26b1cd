"""``GET /api/plugins/<plugin>/navigation/``: NavigationMixin links, with their URLs here."""

from __future__ import annotations

import pytest

from plughost.core.registry import Registry
from plughost.services import plugins
from plughost.services.plugin_settings import update_setting
from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.api, pytest.mark.django_db]

NO_TAB = {"name": "", "icon": "fas fa-question", "links": []}


def url(key: str) -> str:
    return f"/api/plugins/{key}/navigation/"


def test_an_active_plugin_shows_its_tab_and_links(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    plugins.activate("sample")

    response = api_client("user").get(url("sample"))

    assert response.status_code == 200
    assert response.json() == {
        "plugin": "sample",
        "name": "Sample Nav",
        "icon": "fas fa-plus",
        "links": [
            {
                "name": "SampleIntegration",
                "link": "plugin:sample:hi",
                "icon": None,
                "url": "/plugin/sample/hi/",
            }
        ],
    }


def test_an_inactive_plugin_shows_no_tab(registry: Registry, api_client: ApiClientFactory) -> None:
    response = api_client("user").get(url("sample"))

    assert response.status_code == 200
    assert response.json() == {"plugin": "sample", **NO_TAB}


def test_a_plugin_without_navigation_shows_no_tab(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    plugins.activate("simpleaction")

    assert api_client("user").get(url("simpleaction")).json() == {
        "plugin": "simpleaction",
        **NO_TAB,
    }


def test_the_switch_hides_the_links(registry: Registry, api_client: ApiClientFactory) -> None:
    plugins.activate("sample")
    update_setting("plughost", "ENABLE_PLUGINS_NAVIGATION", False)

    body = api_client("user").get(url("sample")).json()

    assert body["name"] == "Sample Nav"
    assert body["links"] == []


def test_unknown_plugin_is_404(registry: Registry, api_client: ApiClientFactory) -> None:
    response = api_client("user").get(url("nope"))

    assert response.status_code == 404
    assert response.json() == {"detail": "Plugin 'nope' not installed"}


def test_anonymous_is_refused(registry: Registry, api_client: ApiClientFactory) -> None:
    assert api_client("anonymous").get(url("sample")).status_code == 401
