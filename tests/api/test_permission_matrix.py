"""Who may call what, for every kind of caller: one expected status per operation and caller.

Callers: anonymous, the token of a deleted user, HTTP basic auth with a wrong password, an
ordinary user, staff, a superuser (all by token), and a superuser's session without and
with its CSRF token. The contract's operations are in ``test_permissions.py``; this table
adds the rest: ``/api/``, ``/api/user/...``, the extras (audit, events, tasks, action,
currency, navigation), ``/plugin/<key>/...`` and the schema.
"""

from __future__ import annotations

from base64 import b64encode

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, ApiClientFactory, Role

pytestmark = pytest.mark.usefixtures("registry")

CALLERS = (
    "anonymous",
    "deleted",
    "wrong_password",
    "user",
    "staff",
    "superuser",
    "session",
    "session_csrf",
)
CSRF = "a" * 32  # an unmasked CSRF secret: Django accepts it as cookie and header alike
S = "/api/plugins/sample"
Row = tuple[str, str, dict[str, object] | None, tuple[int, int, int, int, int, int, int, int]]

# method, path, body: anonymous, deleted, wrong password, user, staff, superuser, session,
# session with CSRF
MATRIX: list[Row] = [
    ("get", "/api/", None, (200, 401, 401, 200, 200, 200, 200, 200)),
    ("get", "/api/user/", None, (401, 401, 401, 200, 200, 200, 200, 200)),
    ("get", "/api/user/me/", None, (401, 401, 401, 200, 200, 200, 200, 200)),
    ("get", "/api/user/token/", None, (401, 401, 401, 200, 200, 200, 200, 200)),
    ("get", "/api/user/group/", None, (401, 401, 401, 200, 200, 200, 200, 200)),
    ("get", "/api/user/999999/", None, (401, 401, 401, 404, 404, 404, 404, 404)),
    ("post", "/api/user/", {}, (401, 401, 401, 405, 405, 405, 403, 405)),
    ("get", "/api/plugins/audit/", None, (401, 401, 401, 403, 403, 200, 200, 200)),
    ("get", "/api/plugins/events/", None, (401, 401, 401, 403, 200, 200, 200, 200)),
    (
        "post",
        "/api/plugins/events/",
        {"event": "test.event"},
        (401, 401, 401, 403, 202, 202, 403, 202),
    ),
    ("get", "/api/plugins/tasks/", None, (401, 401, 401, 403, 403, 200, 200, 200)),
    ("post", "/api/action/", {"action": "nope"}, (401, 401, 401, 200, 200, 200, 403, 200)),
    ("get", "/api/plugins/currency/exchange/", None, (401, 401, 401, 200, 200, 200, 200, 200)),
    (
        "post",
        "/api/plugins/currency/exchange/",
        {"base_currency": "EUR"},
        (401, 401, 401, 403, 403, 404, 403, 404),
    ),
    ("get", f"{S}/navigation/", None, (401, 401, 401, 200, 200, 200, 200, 200)),
    ("get", "/api/plugins/nosuch/", None, (401, 401, 401, 404, 404, 404, 404, 404)),
    ("patch", f"{S}/settings/NOSUCH/", {"value": "1"}, (401, 401, 401, 403, 404, 404, 403, 404)),
    ("get", "/api/nosuch/", None, (404, 404, 404, 404, 404, 404, 404, 404)),
    # Plugin URLs: the plugin's view decides; a bad token is refused, basic auth is not read.
    ("get", "/plugin/plughostinfo/health/", None, (200, 401, 200, 200, 200, 200, 200, 200)),
    ("post", "/plugin/plughostinfo/health/", {}, (403, 401, 403, 200, 200, 200, 403, 200)),
    ("get", "/plugin/nosuch/health/", None, (404, 404, 404, 404, 404, 404, 404, 404)),
    ("get", "/api/schema/", None, (200, 401, 401, 200, 200, 200, 200, 200)),
]


def make_client(caller: str, api_client: ApiClientFactory, users: dict[Role, User]) -> APIClient:
    """Return a client that calls as ``caller``."""
    if caller in ("user", "staff", "superuser"):
        return api_client(caller)  # type: ignore[arg-type]
    if caller == "anonymous":
        return APIClient(enforce_csrf_checks=True)
    if caller == "deleted":
        gone = User.objects.create_user("gone", password=PASSWORD)
        key = Token.objects.create(user=gone).key
        gone.delete()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client
    if caller == "wrong_password":
        client = APIClient(enforce_csrf_checks=True)
        basic = b64encode(b"admin:not-the-password").decode()
        client.credentials(HTTP_AUTHORIZATION=f"Basic {basic}")
        return client
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["superuser"])
    if caller == "session_csrf":
        client.cookies["csrftoken"] = CSRF
        client.credentials(HTTP_X_CSRFTOKEN=CSRF)
    return client


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("caller", CALLERS)
def test_permission_matrix(
    api_client: ApiClientFactory,
    users: dict[Role, User],
    method: str,
    path: str,
    body: dict[str, object] | None,
    expected: tuple[int, ...],
    caller: str,
) -> None:
    client = make_client(caller, api_client, users)

    response = getattr(client, method)(path, body, format="json")

    assert response.status_code == expected[CALLERS.index(caller)], response.content
    assert response["Content-Type"].startswith(("application/json", "application/vnd.oai"))
    if response.status_code == 403 and path.startswith("/plugin/"):
        assert response.json()["detail"].startswith("CSRF Failed")
    if response.status_code == 401 and path.startswith("/api/") and "schema" not in path:
        detail = {
            "anonymous": "Authentication credentials were not provided.",
            "deleted": "Invalid token.",
            "wrong_password": "Invalid username/password.",
        }[caller]
        assert response.json() == {"detail": detail}
    if response.status_code == 403 and caller == "session" and method != "get":
        assert response.json()["detail"].startswith("CSRF Failed")


def test_a_deleted_users_token_stops_working_at_once(
    api_client: ApiClientFactory, users: dict[Role, User]
) -> None:
    client = api_client("staff")
    assert client.get("/api/user/me/").status_code == 200

    users["staff"].delete()

    assert client.get("/api/user/me/").status_code == 401
