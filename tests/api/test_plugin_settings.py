"""The plugin settings endpoints."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plughost.db.models import PluginSetting
from plughost.runtime import holder
from tests.api.query_support import version_reads
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")

URL = "/api/plugins/sample/settings/"


def setting(client_factory: ApiClientFactory, key: str) -> dict[str, object]:
    response = client_factory("staff").get(f"{URL}{key}/")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, dict)
    return body


def test_settings_of_an_inactive_plugin_are_listed(api_client: ApiClientFactory) -> None:
    """Deliberate difference: InvenTree 198 answers 404 'is not active'."""
    response = api_client("staff").get(URL)

    assert response.status_code == 200
    body = response.json()
    assert [item["key"] for item in body] == [
        "PO_FUNCTION_ENABLE",
        "API_KEY",
        "NUMERICAL_SETTING",
        "CHOICE_SETTING",
        "PROTECTED_SETTING",
        "VALIDATOR_SETTING",
        "SELECT_USER",
    ]
    assert all(isinstance(item["pk"], int) for item in body)


def test_setting_object_fields(api_client: ApiClientFactory) -> None:
    body = setting(api_client, "NUMERICAL_SETTING")

    assert list(body) == [
        "pk",
        "key",
        "value",
        "name",
        "description",
        "type",
        "choices",
        "model_name",
        "api_url",
        "typ",
        "required",
        "plugin",
    ]
    assert body["value"] == "123"
    assert body["type"] == "integer"
    assert (body["model_name"], body["api_url"], body["typ"], body["plugin"]) == (
        "",
        "",
        "plugin",
        "sample",
    )


def test_choice_setting_lists_choices(api_client: ApiClientFactory) -> None:
    body = setting(api_client, "CHOICE_SETTING")

    assert body["value"] == "A"
    assert body["type"] == "string"
    assert body["choices"][:2] == [
        {"value": "A", "display_name": "Anaconda"},
        {"value": "B", "display_name": "Bat"},
    ]


def test_model_setting_points_at_a_served_list(api_client: ApiClientFactory) -> None:
    body = setting(api_client, "SELECT_USER")

    assert (body["type"], body["model_name"], body["api_url"]) == (
        "related field",
        "auth.user",
        "/api/user/",
    )
    assert api_client("staff").get(body["api_url"]).status_code == 200


def test_required_flag(api_client: ApiClientFactory) -> None:
    assert setting(api_client, "API_KEY")["required"] is True


def test_protected_value_is_always_masked(api_client: ApiClientFactory) -> None:
    client = api_client("staff")
    response = client.patch(f"{URL}PROTECTED_SETTING/", {"value": "NEW-SECRET"})

    assert response.json()["value"] == "***"
    assert setting(api_client, "PROTECTED_SETTING")["value"] == "***"
    listed = client.get("/api/plugins/settings/?plugin__key=sample").json()["results"]
    assert {item["value"] for item in listed if item["key"] == "PROTECTED_SETTING"} == {"***"}
    assert b"NEW-SECRET" not in client.get(URL).content
    assert PluginSetting.objects.get(key="PROTECTED_SETTING").value == "NEW-SECRET"


def test_keys_match_case_insensitively(api_client: ApiClientFactory) -> None:
    assert setting(api_client, "numerical_setting")["key"] == "NUMERICAL_SETTING"


def test_reading_a_setting_writes_nothing(api_client: ApiClientFactory) -> None:
    before = list(PluginSetting.objects.values_list("id", "value"))

    setting(api_client, "API_KEY")
    api_client("staff").get(URL)

    assert list(PluginSetting.objects.values_list("id", "value")) == before


def test_unknown_setting_is_404(api_client: ApiClientFactory) -> None:
    response = api_client("staff").get(f"{URL}NOPE/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Plugin 'sample' has no setting matching 'NOPE'"}


def test_unknown_plugin_is_404(api_client: ApiClientFactory) -> None:
    response = api_client("staff").get("/api/plugins/doesnotexist/settings/doesnotmatter/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Plugin 'doesnotexist' not installed"}


def test_extra_path_after_the_key_is_not_the_setting(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(f"{URL}API_KEY/extra/", {"value": "x"})

    assert response.status_code == 404
    assert setting(api_client, "API_KEY")["value"] == ""


def test_patch_integer(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(f"{URL}NUMERICAL_SETTING/", {"value": 456})

    assert response.status_code == 200
    assert response.json()["value"] == "456"
    assert setting(api_client, "NUMERICAL_SETTING")["value"] == "456"


def test_a_write_nobody_vets_is_one_update_without_reading_the_row(
    api_client: ApiClientFactory,
) -> None:
    client = api_client("staff")
    client.patch(f"{URL}NUMERICAL_SETTING/", {"value": 456})  # warm: host switches read once
    setting(api_client, "NUMERICAL_SETTING")  # the rows are cached by this read

    with CaptureQueriesContext(connection) as queries:
        response = client.patch(f"{URL}NUMERICAL_SETTING/", {"value": 457})

    assert response.status_code == 200
    assert response.json()["value"] == "457"
    setting_queries = [q["sql"] for q in queries.captured_queries if "pluginsetting" in q["sql"]]
    updates = [sql for sql in setting_queries if sql.startswith("UPDATE")]
    assert len(updates) == 1
    # No read of the row being written (other plugins' rows may load into the cache).
    assert not [sql for sql in setting_queries if "NUMERICAL_SETTING" in sql and sql != updates[0]]
    row = PluginSetting.objects.get(plugin__key="sample", key="NUMERICAL_SETTING")
    assert row.value == "457"
    assert setting(api_client, "NUMERICAL_SETTING")["value"] == "457"


def test_a_write_to_a_row_deleted_since_it_was_cached_stores_it_again(
    api_client: ApiClientFactory,
) -> None:
    setting(api_client, "NUMERICAL_SETTING")  # cached
    PluginSetting.objects.filter(plugin__key="sample", key="NUMERICAL_SETTING").delete()

    response = api_client("staff").patch(f"{URL}NUMERICAL_SETTING/", {"value": 458})

    assert response.status_code == 200
    assert response.json()["value"] == "458"
    row = PluginSetting.objects.get(plugin__key="sample", key="NUMERICAL_SETTING")
    assert row.value == "458"


def test_put_string_form_encoded(api_client: ApiClientFactory) -> None:
    response = api_client("staff").put(
        f"{URL}API_KEY/", "value=abc-123", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert response.json()["value"] == "abc-123"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("NUMERICAL_SETTING", "abc", "NUMERICAL_SETTING: Value must be an integer value"),
        ("NUMERICAL_SETTING", 1.5, "NUMERICAL_SETTING: Value must be an integer value"),
        ("NUMERICAL_SETTING", True, "NUMERICAL_SETTING: Value must be an integer value"),
        (
            "PO_FUNCTION_ENABLE",
            "banana",
            "PO_FUNCTION_ENABLE: 'banana' is not a boolean (use true or false)",
        ),
        ("API_KEY", [1, 2], "API_KEY: Value must be a string"),
        ("SELECT_USER", "99999", "SELECT_USER: No user with id '99999' exists"),
        ("SELECT_USER", "abc", "SELECT_USER: No user with id 'abc' exists"),
    ],
)
def test_invalid_values_are_400_naming_the_setting(
    api_client: ApiClientFactory, key: str, value: object, message: str
) -> None:
    """Deliberate difference: InvenTree 198 silently coerces bad ints and booleans."""
    before = PluginSetting.objects.get(key=key).value

    response = api_client("staff").patch(f"{URL}{key}/", {"value": value}, format="json")

    assert response.status_code == 400
    assert response.json() == {"value": [message]}
    assert PluginSetting.objects.get(key=key).value == before


def test_invalid_choice_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(f"{URL}CHOICE_SETTING/", {"value": "Z"})

    assert response.status_code == 400
    assert "Chosen value is not a valid option" in response.json()["value"][0]


def test_custom_validator_runs(api_client: ApiClientFactory) -> None:
    client = api_client("staff")

    bad = client.patch(f"{URL}VALIDATOR_SETTING/", {"value": "{not json"})
    good = client.patch(f"{URL}VALIDATOR_SETTING/", {"value": '{"a": 1}'})

    assert bad.status_code == 400
    assert bad.json()["value"][0].startswith("VALIDATOR_SETTING: ")
    assert good.status_code == 200


@pytest.mark.parametrize(("value", "stored"), [(True, "True"), ("off", "False"), (1, "True")])
def test_booleans_round_trip_as_strings(
    api_client: ApiClientFactory, value: object, stored: str
) -> None:
    response = api_client("staff").patch(f"{URL}PO_FUNCTION_ENABLE/", {"value": value})

    assert response.json()["value"] == stored


def test_model_setting_accepts_an_existing_user(api_client: ApiClientFactory) -> None:
    user = User.objects.get(username="user")

    response = api_client("staff").patch(f"{URL}SELECT_USER/", {"value": user.pk})

    assert response.status_code == 200
    assert response.json()["value"] == str(user.pk)


def test_patch_without_value_changes_nothing(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(f"{URL}NUMERICAL_SETTING/", {})

    assert response.status_code == 200
    assert response.json()["value"] == "123"


def test_put_without_value_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("staff").put(f"{URL}NUMERICAL_SETTING/", {})

    assert response.status_code == 400
    assert response.json() == {"value": ["This field is required."]}


def test_null_value_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(f"{URL}API_KEY/", {"value": None}, format="json")

    assert response.status_code == 400
    assert response.json() == {"value": ["API_KEY: This field may not be null."]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("<b>bold</b>", "Remove HTML tags from this value"),
        ("line\nbreak", "Remove control characters from this value"),
    ],
)
def test_html_and_control_characters_are_rejected(
    api_client: ApiClientFactory, value: str, message: str
) -> None:
    response = api_client("staff").patch(f"{URL}API_KEY/", {"value": value})

    assert response.status_code == 400
    assert response.json() == {"value": [message]}


def test_too_long_value_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(f"{URL}API_KEY/", {"value": "x" * 2001})

    assert response.status_code == 400


@pytest.mark.parametrize("method", ["post", "delete"])
def test_setting_other_methods_are_405(api_client: ApiClientFactory, method: str) -> None:
    response = getattr(api_client("staff"), method)(f"{URL}API_KEY/")

    assert response.status_code == 405


def test_values_persist_across_deactivate_and_activate(api_client: ApiClientFactory) -> None:
    api_client("staff").patch(f"{URL}NUMERICAL_SETTING/", {"value": 7})
    admin = api_client("superuser")
    admin.patch("/api/plugins/sample/activate/", {"active": True})
    admin.patch("/api/plugins/sample/activate/", {"active": False})

    assert setting(api_client, "NUMERICAL_SETTING")["value"] == "7"


def test_active_plugin_reads_its_typed_setting(api_client: ApiClientFactory) -> None:
    api_client("superuser").patch("/api/plugins/sample/activate/", {})
    api_client("staff").patch(f"{URL}NUMERICAL_SETTING/", {"value": "42"})
    plugin = holder.current().find_plugin("sample")

    assert plugin is not None
    assert plugin.get_setting("NUMERICAL_SETTING") == 42  # type: ignore[attr-defined]


# --- /api/plugins/settings/ ---------------------------------------------------------------


def test_all_settings_list_is_paginated_and_stable(api_client: ApiClientFactory) -> None:
    body = api_client("staff").get("/api/plugins/settings/?limit=3").json()

    assert body["count"] == PluginSetting.objects.count()
    # Ordered by plugin, then declaration: the first builtin's three settings.
    assert [item["plugin"] for item in body["results"]] == ["inventreecorenotificationsplugin"] * 3


def test_all_settings_filters(api_client: ApiClientFactory) -> None:
    client = api_client("staff")

    by_key = client.get("/api/plugins/settings/?plugin__key=sample").json()
    active = client.get("/api/plugins/settings/?plugin__active=true").json()

    assert {item["plugin"] for item in by_key["results"]} == {"sample"}
    assert by_key["count"] == 7
    assert {item["plugin"] for item in active["results"]} == {
        "inventreecorenotificationsplugin",
        "plughost",
    }


def test_all_settings_bad_boolean_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("staff").get("/api/plugins/settings/?plugin__active=maybe")

    assert response.status_code == 400


def test_a_write_checks_the_stored_versions_once(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder, "watched", True)  # as in a server: no periodic checks
    client = api_client("staff")
    client.patch(f"{URL}NUMERICAL_SETTING/", {"value": 1}, format="json")

    reads = version_reads(
        lambda: client.patch(f"{URL}NUMERICAL_SETTING/", {"value": 2}, format="json")
    )

    assert len(reads) == 1  # fresh_registry(), once (tests run inside a transaction)
