"""POST /api/plugins/install/ and the uninstall endpoint: input validation (pip never runs)."""

from __future__ import annotations

import pytest
from pytest_django import Settings

from plughost.installer import runner as runner_module
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")

URL = "/api/plugins/install/"
EITHER = "Either packagename of URL must be provided"


@pytest.fixture(autouse=True)
def _pip_must_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip ran for an invalid request")

    monkeypatch.setattr(runner_module, "run_command", refuse)


def test_empty_body_needs_confirm(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(URL, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"confirm": ["This field is required."]}


def test_confirm_false(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(URL, {"confirm": False}, format="json")

    assert response.json() == {"confirm": ["Installation not confirmed"]}


def test_confirm_not_a_boolean(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(URL, {"confirm": "notabool"}, format="json")

    assert response.json() == {"confirm": ["Must be a valid boolean."]}


@pytest.mark.parametrize(
    "body", [{"confirm": True}, {"confirm": True, "packagename": "", "url": ""}]
)
def test_needs_packagename_or_url(api_client: ApiClientFactory, body: dict[str, object]) -> None:
    response = api_client("superuser").post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"url": [EITHER], "packagename": [EITHER]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("packagename", "-r/etc/passwd"),
        ("packagename", "--index-url=http://evil"),
        ("packagename", "bad name; rm -rf /"),
        ("packagename", "foo\nbar"),
        ("packagename", "/tmp/x.whl"),
        ("packagename", "foo @ file:///tmp/x"),
        ("url", "file:///tmp"),
        ("url", "ftp://host/simple"),
        ("url", "-i http://x"),
        ("version", "abc"),
        ("version", "==1; rm"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(
    api_client: ApiClientFactory, field: str, value: str
) -> None:
    body = {"confirm": True, "packagename": "good-plugin", field: value}

    response = api_client("superuser").post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_install_disabled_is_403(api_client: ApiClientFactory, settings: Settings) -> None:
    settings.PLUGHOST_PLUGIN_NOINSTALL = True

    response = api_client("superuser").post(
        URL, {"confirm": True, "packagename": "good-plugin"}, format="json"
    )

    assert response.status_code == 403
    assert "disabled" in response.json()["detail"]


def test_get_is_405(api_client: ApiClientFactory) -> None:
    assert api_client("superuser").get(URL).status_code == 405


def test_uninstall_active_plugin_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/plughost/uninstall/", {})

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Plugin cannot be uninstalled as it is currently active"]
    }


def test_uninstall_sample_plugin_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").put("/api/plugins/sample/uninstall/", {})

    assert response.status_code == 400
    assert response.json()["non_field_errors"][0].startswith("Plugin is not a packaged plugin")


def test_uninstall_bad_flag_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch(
        "/api/plugins/sample/uninstall/", {"delete_config": "notabool"}
    )

    assert response.status_code == 400
    assert response.json() == {"delete_config": ["Must be a valid boolean."]}


def test_uninstall_unknown_plugin_is_404(api_client: ApiClientFactory) -> None:
    assert api_client("superuser").patch("/api/plugins/nope/uninstall/", {}).status_code == 404


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_uninstall_other_methods_are_405(api_client: ApiClientFactory, method: str) -> None:
    response = getattr(api_client("superuser"), method)("/api/plugins/sample/uninstall/")

    assert response.status_code == 405
