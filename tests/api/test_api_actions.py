"""``POST /api/action/``: InvenTree 198's answers, always 200, gated by ENABLE_PLUGINS_ACTIONS."""

from __future__ import annotations

from pathlib import Path

import pytest

from plughost.core.registry import Registry
from plughost.services import plugins
from plughost.services.plugin_settings import update_setting
from plughost.services.registry import Discovery, rebuild
from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.api, pytest.mark.django_db]

URL = "/api/action/"

FAILING_ACTION = """
from plugin import InvenTreePlugin
from plugin.mixins import ActionMixin


class Failing(ActionMixin, InvenTreePlugin):
    NAME = "Failing"
    ACTION_NAME = "explode"

    def perform_action(self, user=None, data=None):
        raise RuntimeError("boom")
"""


@pytest.fixture
def simpleaction(registry: Registry) -> None:
    plugins.activate("simpleaction")


def test_empty_body_is_no_action_specified(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    response = api_client("user").post(URL, {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"error": "No action specified"}


def test_a_body_that_is_not_an_object_is_a_400(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    # InvenTree 198 answers 500 (it calls .get on the list); a clear 400 here.
    response = api_client("user").post(URL, ["simple"], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


def test_an_action_that_is_not_a_string_is_a_400(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    response = api_client("user").post(URL, {"action": 12}, format="json")

    assert response.status_code == 400
    assert response.json() == {"action": ["Not a valid string."]}


def test_a_null_action_is_no_action_specified(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    # InvenTree tests ``action is None``: a JSON null is as good as no action.
    response = api_client("user").post(URL, {"action": None}, format="json")

    assert response.status_code == 200
    assert response.json() == {"error": "No action specified"}


def test_a_blank_action_is_looked_up_like_any_other(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    # Not a 400: InvenTree compares "" with every plugin's action name and finds none.
    response = api_client("user").post(URL, {"action": ""}, format="json")

    assert response.status_code == 200
    assert response.json() == {"error": "No matching action found", "action": ""}


def test_unknown_action_is_no_matching_action(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    response = api_client("user").post(URL, {"action": "nope"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"error": "No matching action found", "action": "nope"}


def test_an_inactive_plugin_answers_no_action(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    response = api_client("user").post(URL, {"action": "simple"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"error": "No matching action found", "action": "simple"}


@pytest.mark.usefixtures("simpleaction")
def test_matching_action_is_performed_and_answered(api_client: ApiClientFactory) -> None:
    response = api_client("user").post(
        URL, {"action": "simple", "data": {"foo": "bar"}}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "action": "simple",
        "result": True,
        "info": {"user": "user", "hello": "world"},
    }


@pytest.mark.usefixtures("simpleaction")
def test_form_encoded_action_is_answered(api_client: ApiClientFactory) -> None:
    response = api_client("staff").post(URL, {"action": "simple"})

    assert response.status_code == 200
    assert response.json()["info"] == {"user": "staff", "hello": "world"}


@pytest.mark.usefixtures("simpleaction")
def test_action_names_match_exactly(api_client: ApiClientFactory) -> None:
    response = api_client("user").post(URL, {"action": "Simple"}, format="json")

    assert response.json() == {"error": "No matching action found", "action": "Simple"}


@pytest.mark.usefixtures("simpleaction")
def test_an_action_name_is_not_trimmed(api_client: ApiClientFactory) -> None:
    response = api_client("user").post(URL, {"action": " simple "}, format="json")

    assert response.json() == {"error": "No matching action found", "action": " simple "}


@pytest.mark.usefixtures("simpleaction")
def test_switch_off_means_no_action_matches(api_client: ApiClientFactory) -> None:
    update_setting("plughost", "ENABLE_PLUGINS_ACTIONS", False)

    response = api_client("user").post(URL, {"action": "simple"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"error": "No matching action found", "action": "simple"}


@pytest.mark.usefixtures("simpleaction")
def test_anonymous_is_refused(api_client: ApiClientFactory) -> None:
    response = api_client("anonymous").post(URL, {"action": "simple"}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_only_post_is_allowed(
    registry: Registry, api_client: ApiClientFactory, method: str
) -> None:
    response = getattr(api_client("user"), method)(URL)

    assert response.status_code == 405


def test_a_failing_plugin_is_a_502_naming_it(
    registry: Registry, api_client: ApiClientFactory, data_dir: Path
) -> None:
    folder = data_dir / "plugins"
    folder.mkdir()
    (folder / "failing_action.py").write_text(FAILING_ACTION)
    rebuild(Discovery.RECOLLECT)
    plugins.activate("failing")

    response = api_client("user").post(URL, {"action": "explode"}, format="json")

    assert response.status_code == 502
    assert response.json() == {
        "detail": "Plugin 'failing' failed in perform_action(): RuntimeError: boom"
    }
    # status/ names the failure, with where it happened.
    status = api_client("superuser").get("/api/plugins/status/").json()
    assert [(e["stage"], e["name"], e["count"]) for e in status["runtime_errors"]] == [
        ("perform_action", "failing", 1)
    ]
