"""GET /api/plugins/audit/ and the entries that activations and setting changes write.

Installs and uninstalls write entries too; ``test_install_packages.py`` checks those.
"""

from __future__ import annotations

from typing import Any

import pytest

from plughost.db.models import AuditEntry
from tests.conftest import ApiClientFactory, Role

pytestmark = pytest.mark.usefixtures("registry")

AUDIT = "/api/plugins/audit/"


def entries(api_client: ApiClientFactory, query: str = "") -> dict[str, Any]:
    response = api_client("superuser").get(AUDIT + query)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def without_times(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in entry.items() if k not in {"pk", "created"}} for entry in results]


def test_activation_and_deactivation_are_recorded(api_client: ApiClientFactory) -> None:
    admin = api_client("superuser")
    admin.patch("/api/plugins/sample/activate/", {"active": True})
    admin.patch("/api/plugins/sample/", {"active": False})

    body = entries(api_client)

    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert without_times(body["results"]) == [
        {
            "user": "admin",
            "address": "127.0.0.1",
            "action": "deactivate",
            "target": "sample",
            "result": "ok",
            "message": "",
        },
        {
            "user": "admin",
            "address": "127.0.0.1",
            "action": "activate",
            "target": "sample",
            "result": "ok",
            "message": "",
        },
    ]
    assert body["results"][0]["created"].endswith("Z")


def test_a_refused_change_is_recorded_as_failed(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").patch("/api/plugins/plughost/activate/", {"active": False})

    assert response.status_code == 400
    [entry] = entries(api_client)["results"]
    assert (entry["action"], entry["target"], entry["result"]) == (
        "deactivate",
        "plughost",
        "failed",
    )
    assert entry["message"] == "Plugin 'plughost' is mandatory (builtin) and cannot be deactivated"


def test_setting_changes_are_recorded_and_protected_values_are_not(
    api_client: ApiClientFactory,
) -> None:
    staff = api_client("staff")
    staff.patch("/api/plugins/sample/settings/NUMERICAL_SETTING/", {"value": 7}, format="json")
    staff.patch(
        "/api/plugins/sample/settings/protected_setting/", {"value": "s3cret"}, format="json"
    )
    staff.patch("/api/plugins/sample/settings/NUMERICAL_SETTING/", {"value": -1}, format="json")

    results = entries(api_client)["results"]

    assert [(e["user"], e["action"], e["target"], e["result"], e["message"]) for e in results] == [
        ("staff", "setting", "sample:NUMERICAL_SETTING", "failed", results[0]["message"]),
        ("staff", "setting", "sample:PROTECTED_SETTING", "ok", "value set (protected)"),
        ("staff", "setting", "sample:NUMERICAL_SETTING", "ok", "value set to '7'"),
    ]
    assert "s3cret" not in str(results)


def test_a_read_writes_no_entry(api_client: ApiClientFactory) -> None:
    api_client("staff").get("/api/plugins/sample/settings/NUMERICAL_SETTING/")
    api_client("superuser").get("/api/plugins/sample/")

    assert not AuditEntry.objects.exists()


def test_pages_and_filters(api_client: ApiClientFactory) -> None:
    admin = api_client("superuser")
    for active in (True, False, True):
        admin.patch("/api/plugins/sample/activate/", {"active": active})
    admin.patch("/api/plugins/plughost/activate/", {"active": False})

    page = entries(api_client, "?limit=2&offset=1")
    activations = entries(api_client, "?action=activate")
    failed = entries(api_client, "?result=failed&user=admin")
    nobody = entries(api_client, "?user=nobody")

    assert page["count"] == 4
    assert [e["action"] for e in page["results"]] == ["activate", "deactivate"]
    assert page["next"] is not None
    assert page["previous"] is not None
    assert [e["action"] for e in activations["results"]] == ["activate", "activate"]
    assert [e["target"] for e in failed["results"]] == ["plughost"]
    assert nobody["count"] == 0


def test_an_unknown_action_filter_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").get(AUDIT + "?action=explode")

    assert response.status_code == 400
    assert response.json() == {
        "action": [
            "'explode' is not one of: install, dry_run, uninstall, activate, deactivate, setting."
        ]
    }


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("user", 403), ("staff", 403)])
def test_only_superusers_read_the_log(
    api_client: ApiClientFactory, role: Role, status: int
) -> None:
    assert api_client(role).get(AUDIT).status_code == status


def test_the_log_is_read_only(api_client: ApiClientFactory) -> None:
    assert api_client("superuser").post(AUDIT, {}).status_code == 405
    assert api_client("superuser").delete(AUDIT).status_code == 405
