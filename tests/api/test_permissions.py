"""Who may call what: every operation of the contract for each role."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClientFactory, Role

pytestmark = pytest.mark.usefixtures("registry")

ROLES: tuple[Role, ...] = ("anonymous", "user", "staff", "superuser")
S = "/api/plugins/sample"

# (method, path, body, expected status for anonymous, user, staff, superuser)
MATRIX: list[tuple[str, str, dict[str, object] | None, tuple[int, int, int, int]]] = [
    ("get", "/api/plugins/", None, (401, 200, 200, 200)),
    ("get", f"{S}/", None, (401, 200, 200, 200)),
    ("patch", f"{S}/", {}, (401, 403, 403, 200)),
    ("put", f"{S}/", {}, (401, 403, 403, 200)),
    ("delete", "/api/plugins/nointegrationplugin/", None, (401, 403, 403, 204)),
    ("patch", f"{S}/activate/", {"active": False}, (401, 403, 403, 200)),
    ("put", f"{S}/activate/", {"active": False}, (401, 403, 403, 200)),
    ("patch", f"{S}/uninstall/", {}, (401, 403, 403, 400)),
    ("put", f"{S}/uninstall/", {}, (401, 403, 403, 400)),
    ("get", f"{S}/metadata/", None, (401, 403, 200, 200)),
    ("patch", f"{S}/metadata/", {"metadata": {}}, (401, 403, 200, 200)),
    ("put", f"{S}/metadata/", {"metadata": {}}, (401, 403, 200, 200)),
    ("get", f"{S}/settings/", None, (401, 403, 200, 200)),
    ("get", f"{S}/settings/API_KEY/", None, (401, 403, 200, 200)),
    ("patch", f"{S}/settings/API_KEY/", {"value": "k"}, (401, 403, 200, 200)),
    ("put", f"{S}/settings/API_KEY/", {"value": "k"}, (401, 403, 200, 200)),
    ("get", "/api/plugins/settings/", None, (401, 403, 200, 200)),
    ("post", "/api/plugins/install/", {}, (401, 403, 403, 400)),
    ("post", "/api/plugins/reload/", {}, (401, 403, 403, 201)),
    ("get", "/api/plugins/status/", None, (401, 403, 403, 200)),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role_index", range(4), ids=ROLES)
def test_permission_matrix(
    api_client: ApiClientFactory,
    method: str,
    path: str,
    body: dict[str, object] | None,
    expected: tuple[int, int, int, int],
    role_index: int,
) -> None:
    role = ROLES[role_index]
    client = api_client(role)

    response = getattr(client, method)(path, body, format="json")

    assert response.status_code == expected[role_index], response.content
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    if response.status_code == 403:
        assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_invalid_token_is_401(api_client: ApiClientFactory) -> None:
    client = api_client("anonymous")
    client.credentials(HTTP_AUTHORIZATION="Token nosuchtoken")

    response = client.get("/api/plugins/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"


def test_forbidden_method_is_403_before_405_for_a_non_superuser(
    api_client: ApiClientFactory,
) -> None:
    assert api_client("staff").post(f"{S}/activate/").status_code == 403
    assert api_client("superuser").post(f"{S}/activate/").status_code == 405
