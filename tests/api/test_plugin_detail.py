"""GET/PUT/PATCH/DELETE /api/plugins/{plugin}/ and the activate endpoint."""

from __future__ import annotations

import pytest

from plughost.db.models import PluginConfig, PluginSetting
from plughost.runtime import holder
from tests.api.query_support import version_reads
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")


def test_detail_of_a_plugin(api_client: ApiClientFactory) -> None:
    response = api_client("user").get("/api/plugins/sample/")

    assert response.status_code == 200
    assert response.json()["key"] == "sample"


@pytest.mark.parametrize("path", ["/api/plugins/nope/", "/api/plugins/SAMPLE/", "/api/plugins/1/"])
def test_unknown_key_is_404(api_client: ApiClientFactory, path: str) -> None:
    response = api_client("superuser").get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_post_on_detail_is_405(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post("/api/plugins/sample/", {})

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_patch_active_activates_and_answers_fresh_meta(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/sample/", {"active": True})

    assert response.status_code == 200
    assert response.json()["active"] is True
    assert holder.current().is_loaded("sample")


def test_patch_read_only_fields_is_ignored(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch(
        "/api/plugins/sample/", {"key": "other", "pk": 99, "is_builtin": True, "meta": {}}
    )

    assert response.status_code == 200
    assert response.json()["key"] == "sample"
    assert PluginConfig.objects.filter(key="sample").exists()


def test_patch_same_name_is_accepted(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch(
        "/api/plugins/sample/", {"name": "SampleIntegrationPlugin"}
    )

    assert response.status_code == 200


def test_patch_another_name_is_400(api_client: ApiClientFactory) -> None:
    """Deliberate difference: InvenTree 198 lets name and package_name be rewritten."""
    response = api_client("superuser").patch("/api/plugins/sample/", {"name": "Renamed"})

    assert response.status_code == 400
    assert response.json() == {
        "name": ["'name' describes the installed plugin and cannot be changed"]
    }
    assert PluginConfig.objects.get(key="sample").name == "SampleIntegrationPlugin"


def test_patch_package_name_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/sample/", {"package_name": "evil"})

    assert response.status_code == 400
    assert list(response.json()) == ["package_name"]


def test_patch_active_not_a_boolean_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/sample/", {"active": "notabool"})

    assert response.status_code == 400
    assert response.json() == {"active": ["Must be a valid boolean."]}


def test_put_empty_changes_nothing(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").put("/api/plugins/plughost/", {})

    assert response.status_code == 200
    assert response.json()["active"] is True


def test_delete_active_plugin_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").delete("/api/plugins/plughost/")

    assert response.status_code == 400
    assert response.json() == {"detail": ["Plugin cannot be deleted as it is currently active"]}
    assert PluginConfig.objects.filter(key="plughost").exists()


def test_delete_inactive_plugin_removes_config_and_settings(
    api_client: ApiClientFactory,
) -> None:
    client = api_client("superuser")
    config = PluginConfig.objects.get(key="sample")
    assert PluginSetting.objects.filter(plugin=config).exists()

    response = client.delete("/api/plugins/sample/")

    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/api/plugins/sample/").status_code == 404
    assert not PluginSetting.objects.filter(plugin_id=config.pk).exists()


def test_deleted_config_returns_on_collecting_reload(api_client: ApiClientFactory) -> None:
    client = api_client("superuser")
    client.delete("/api/plugins/sample/")

    client.post("/api/plugins/reload/", {"collect_plugins": True})

    assert client.get("/api/plugins/sample/").status_code == 200


# --- activate/ ---------------------------------------------------------------------------


def test_activate_with_empty_body_activates(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/sample/activate/", {})

    assert response.status_code == 200
    assert response.json() == {"active": True}
    assert PluginConfig.objects.get(key="sample").active is True
    assert holder.current().is_loaded("sample")


def test_activate_with_no_body_activates(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").put("/api/plugins/sample/activate/")

    assert response.status_code == 200
    assert response.json() == {"active": True}


@pytest.mark.parametrize("value", [False, "false", 0])
def test_deactivate(api_client: ApiClientFactory, value: object) -> None:
    client = api_client("superuser")
    client.patch("/api/plugins/sample/activate/", {})

    response = client.patch("/api/plugins/sample/activate/", {"active": value})

    assert response.json() == {"active": False}
    assert not holder.current().is_loaded("sample")


def test_activate_form_encoded(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch(
        "/api/plugins/sample/activate/",
        "active=true",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.json() == {"active": True}


@pytest.mark.parametrize(
    ("value", "message"),
    [("notabool", "Must be a valid boolean."), (None, "This field may not be null.")],
)
def test_activate_bad_value_is_400(
    api_client: ApiClientFactory, value: object, message: str
) -> None:
    response = api_client("superuser").patch("/api/plugins/sample/activate/", {"active": value})

    assert response.status_code == 400
    assert response.json() == {"active": [message]}


def test_deactivating_a_mandatory_plugin_is_400_and_stores_nothing(
    api_client: ApiClientFactory,
) -> None:
    """Deliberate difference: InvenTree 198 answers active:true but stores false."""
    response = api_client("superuser").patch("/api/plugins/plughost/activate/", {"active": False})

    assert response.status_code == 400
    assert response.json() == {
        "active": ["Plugin 'plughost' is mandatory (builtin) and cannot be deactivated"]
    }
    assert PluginConfig.objects.get(key="plughost").active is True


def test_activate_uses_the_url_key_not_a_body_pk(api_client: ApiClientFactory) -> None:
    """Deliberate difference: InvenTree 198 takes a pk from the body over the URL."""
    other = PluginConfig.objects.get(key="nointegrationplugin")
    response = api_client("superuser").patch(
        "/api/plugins/sample/activate/", {"pk": other.pk, "active": True}
    )

    assert response.status_code == 200
    assert PluginConfig.objects.get(key="sample").active is True
    assert PluginConfig.objects.get(key="nointegrationplugin").active is False


def test_activate_an_incompatible_plugin_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/sampleversion/activate/", {})

    assert response.status_code == 400
    assert "not compatible with this host" in response.json()["active"][0]
    assert PluginConfig.objects.get(key="sampleversion").active is False


def test_activate_unknown_plugin_is_404(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/nope/activate/", {})

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_activate_other_methods_are_405(api_client: ApiClientFactory, method: str) -> None:
    response = getattr(api_client("superuser"), method)("/api/plugins/sample/activate/")

    assert response.status_code == 405


def test_an_activation_checks_the_stored_versions_once(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder, "watched", True)  # as in a server: no periodic checks
    client = api_client("superuser")
    client.patch("/api/plugins/sample/activate/", {"active": True}, format="json")

    reads = version_reads(
        lambda: client.patch("/api/plugins/sample/activate/", {"active": False}, format="json")
    )

    assert len(reads) == 1  # fresh_registry(), once (tests run inside a transaction)
