"""``/plugin/<key>/...``: loaded UrlsMixin plugins serve their URLs, with no restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings
from rest_framework.test import APIClient

from plughost.services import plugins
from plughost.services.plugin_settings import update_setting
from plughost.services.registry import Discovery, rebuild
from tests.conftest import ApiClientFactory, Role

pytestmark = [pytest.mark.api, pytest.mark.django_db]

NOT_FOUND = {"detail": "Not found."}

ECHO_PLUGIN = """
from django.http import JsonResponse
from django.urls import path

from plughost import InvenTreePlugin
from plughost.mixins import UrlsMixin


def whoami(request):
    user = request.user
    return JsonResponse({"user": user.username if user.is_authenticated else None})


def item(request, pk):
    return JsonResponse({"pk": pk, "method": request.method})


class EchoPlugin(UrlsMixin, InvenTreePlugin):
    NAME = "Echo"
    SLUG = "echo"
    URLS = [path("whoami/", whoami, name="whoami"), path("item/<int:pk>/", item, name="item")]
"""


@pytest.fixture
def samples(settings: Settings, data_dir: Path) -> None:
    """Discover the sample plugins (all inactive)."""
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    rebuild(Discovery.RECOLLECT)


@pytest.fixture
def echo(data_dir: Path) -> None:
    """Discover and activate ``echo``, a folder plugin serving ``whoami/`` and ``item/<pk>/``."""
    folder = data_dir / "plugins"
    folder.mkdir()
    (folder / "echo_plugin.py").write_text(ECHO_PLUGIN)
    rebuild(Discovery.RECOLLECT)
    plugins.activate("echo")


@pytest.mark.usefixtures("samples")
def test_active_plugin_urls_are_served() -> None:
    plugins.activate("sample")

    response = Client().get("/plugin/sample/hi/")

    assert response.status_code == 200
    assert response.content == b"Hi there  this works"


@pytest.mark.usefixtures("samples")
def test_included_plugin_urls_are_served() -> None:
    plugins.activate("sample")

    response = Client().get("/plugin/sample/ho/he/")

    assert response.status_code == 200


@pytest.mark.usefixtures("samples")
def test_inactive_plugin_urls_are_404() -> None:
    response = Client().get("/plugin/sample/hi/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.usefixtures("samples")
def test_plugin_urls_disappear_on_deactivation() -> None:
    plugins.activate("sample")
    assert Client().get("/plugin/sample/hi/").status_code == 200

    plugins.deactivate("sample")

    response = Client().get("/plugin/sample/hi/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.usefixtures("samples")
def test_host_switch_turns_plugin_urls_off() -> None:
    plugins.activate("sample")

    update_setting("plughost", "ENABLE_PLUGINS_URL", False)

    response = Client().get("/plugin/sample/hi/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.usefixtures("samples")
def test_host_switch_turns_plugin_urls_back_on() -> None:
    plugins.activate("sample")
    update_setting("plughost", "ENABLE_PLUGINS_URL", False)

    update_setting("plughost", "ENABLE_PLUGINS_URL", True)

    assert Client().get("/plugin/sample/hi/").status_code == 200


@pytest.mark.usefixtures("echo")
def test_path_arguments_reach_the_plugin_view() -> None:
    response = Client().get("/plugin/echo/item/7/")

    assert response.json() == {"pk": 7, "method": "GET"}


@pytest.mark.usefixtures("echo")
def test_unknown_sub_path_is_404() -> None:
    response = Client().get("/plugin/echo/bogus/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.usefixtures("echo")
@pytest.mark.parametrize("path", ["/plugin/echo/whoami/%0A", "/plugin/echo/who%0Aami/"])
def test_a_line_break_is_part_of_the_sub_path(path: str) -> None:
    # A regex's "." stops at a line break; Django's HTML 404 answered such paths.
    response = Client().get(path)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.usefixtures("data_dir")
def test_unknown_plugin_is_404() -> None:
    response = Client().get("/plugin/nosuchplugin/hi/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.usefixtures("echo")
def test_plugin_views_see_the_session_user(users: dict[Role, User]) -> None:
    client = Client()
    client.force_login(users["user"])

    response = client.get("/plugin/echo/whoami/")

    assert response.json() == {"user": "user"}


@pytest.mark.usefixtures("echo")
def test_plugin_views_see_the_token_user(api_client: ApiClientFactory) -> None:
    response = api_client("staff").get("/plugin/echo/whoami/")

    assert response.json() == {"user": "staff"}


@pytest.mark.usefixtures("echo")
def test_plugin_urls_refuse_an_invalid_token() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")

    response = client.get("/plugin/echo/whoami/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.usefixtures("echo")
def test_session_post_needs_a_csrf_token(users: dict[Role, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["user"])

    response = client.post("/plugin/echo/item/1/")

    assert response.status_code == 403


@pytest.mark.usefixtures("echo")
def test_token_post_needs_no_csrf_token(api_client: ApiClientFactory) -> None:
    client = api_client("user")
    client.handler.enforce_csrf_checks = True

    response = client.post("/plugin/echo/item/1/")

    assert response.json() == {"pk": 1, "method": "POST"}
