"""``GET /api/``: the server information, and who sees the plugin list."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from pytest_django import Settings
from rest_framework.test import APIClient

from plughost.services.registry import current_registry
from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.api, pytest.mark.django_db]


def expected_info(active_plugins: list[dict[str, str | None]]) -> dict[str, object]:
    return {
        "server": "InvenTree",
        "version": django_settings.PLUGHOST_HOST_VERSION,
        "instance": "Plughost",
        "apiVersion": 198,
        "worker_running": False,
        "worker_pending_tasks": 0,
        "plugins_enabled": True,
        "plugins_install_disabled": django_settings.PLUGHOST_PLUGIN_NOINSTALL,
        "active_plugins": active_plugins,
        "email_configured": False,
        "debug_mode": django_settings.DEBUG,
        "docker_mode": False,
        "default_locale": "en-us",
        "system_health": None,
        "database": None,
        "platform": None,
        "installer": None,
        "target": None,
    }


def test_info_hides_plugin_names_from_anonymous_callers() -> None:
    # Deliberate difference: InvenTree 198 lists active plugins to anyone.
    response = APIClient().get("/api/")

    assert response.status_code == 200
    assert response.json() == expected_info([])


def test_info_lists_loaded_plugins_to_authenticated_callers(
    api_client: ApiClientFactory,
) -> None:
    response = api_client("user").get("/api/")

    loaded = [
        {"name": plugin.name, "slug": plugin.slug, "version": plugin.version}
        for plugin in current_registry().instances.values()
    ]
    assert response.status_code == 200
    assert loaded
    assert response.json() == expected_info(loaded)


def test_info_reports_install_switch(settings: Settings) -> None:
    settings.PLUGHOST_PLUGIN_NOINSTALL = True

    response = APIClient().get("/api/")

    assert response.json()["plugins_install_disabled"] is True


def test_info_refuses_an_invalid_token() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = client.get("/api/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
