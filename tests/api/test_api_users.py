"""``/api/user/``: tokens, the caller, and the user and group lists plugin settings point at."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import Group, User
from pytest_django import DjangoAssertNumQueries
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, ApiClientFactory, Role

pytestmark = [pytest.mark.api, pytest.mark.django_db]


def basic_client(username: str, password: str) -> APIClient:
    client = APIClient()
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client


def user_row(user: User) -> dict[str, object]:
    return {
        "pk": user.pk,
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": True,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def test_token_via_basic_auth_creates_the_callers_token(users: dict[Role, User]) -> None:
    response = basic_client("user", PASSWORD).get("/api/user/token/", {"name": "client"})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=users["user"]).key}


def test_token_via_token_auth_returns_the_same_token(
    api_client: ApiClientFactory, users: dict[Role, User]
) -> None:
    response = api_client("staff").get("/api/user/token/")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=users["staff"]).key}


def test_token_needs_credentials() -> None:
    response = APIClient().get("/api/user/token/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.usefixtures("users")
def test_token_with_wrong_password_is_401() -> None:
    response = basic_client("user", "wrong").get("/api/user/token/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid username/password."}


def test_invalid_token_is_401() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")

    response = client.get("/api/user/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}


def test_me_returns_the_caller(api_client: ApiClientFactory, users: dict[Role, User]) -> None:
    response = api_client("superuser").get("/api/user/me/")

    assert response.status_code == 200
    assert response.json() == {
        "pk": users["superuser"].pk,
        "username": "admin",
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_staff": True,
        "is_superuser": True,
    }


def test_user_list_is_a_page_envelope(
    api_client: ApiClientFactory, users: dict[Role, User]
) -> None:
    response = api_client("user").get("/api/user/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [user_row(users[role]) for role in ("user", "staff", "superuser")],
    }


def test_user_list_pages_with_limit(api_client: ApiClientFactory, users: dict[Role, User]) -> None:
    response = api_client("user").get("/api/user/", {"limit": 1, "offset": 1})

    assert response.json() == {
        "count": 3,
        "next": "http://testserver/api/user/?limit=1&offset=2",
        "previous": "http://testserver/api/user/?limit=1",
        "results": [user_row(users["staff"])],
    }


def test_user_list_query_count_does_not_grow(
    api_client: ApiClientFactory, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = api_client("user")
    for index in range(10):
        User.objects.create_user(f"extra{index}")

    # token lookup, page (it holds the last user, so it tells the count: no COUNT query)
    with django_assert_num_queries(2):
        client.get("/api/user/")


def test_user_list_needs_authentication() -> None:
    response = APIClient().get("/api/user/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_user_detail(api_client: ApiClientFactory, users: dict[Role, User]) -> None:
    response = api_client("user").get(f"/api/user/{users['staff'].pk}/")

    assert response.status_code == 200
    assert response.json() == user_row(users["staff"])


def test_unknown_user_is_404(api_client: ApiClientFactory) -> None:
    response = api_client("user").get("/api/user/999999/")

    assert response.status_code == 404


def test_group_list_is_a_page_envelope(api_client: ApiClientFactory) -> None:
    first = Group.objects.create(name="readers")
    second = Group.objects.create(name="writers")

    response = api_client("user").get("/api/user/group/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [{"pk": first.pk, "name": "readers"}, {"pk": second.pk, "name": "writers"}],
    }


def test_group_detail(api_client: ApiClientFactory) -> None:
    group = Group.objects.create(name="readers")

    response = api_client("user").get(f"/api/user/group/{group.pk}/")

    assert response.status_code == 200
    assert response.json() == {"pk": group.pk, "name": "readers"}
