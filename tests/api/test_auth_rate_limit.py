"""Failed authentications are limited per client address and per user name (429)."""

from __future__ import annotations

from base64 import b64encode

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, ApiClientFactory

pytestmark = [
    pytest.mark.usefixtures("registry"),
    pytest.mark.django_db,
]
LIMIT = 3


def basic(user: str, password: str, address: str = "10.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    token = b64encode(f"{user}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


@override_settings(PLUGHOST_AUTH_FAILURE_LIMIT=LIMIT, PLUGHOST_AUTH_FAILURE_WINDOW=60)
def test_after_the_limit_an_address_gets_429_with_retry_after(api_client: ApiClientFactory) -> None:
    for _ in range(LIMIT):
        assert basic("admin", "wrong").get("/api/user/me/").status_code == 401

    response = basic("admin", PASSWORD).get("/api/user/me/")  # even the right password

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Too many failed authentication attempts")


@override_settings(PLUGHOST_AUTH_FAILURE_LIMIT=LIMIT, PLUGHOST_AUTH_FAILURE_WINDOW=60)
def test_a_user_name_is_limited_across_addresses(api_client: ApiClientFactory) -> None:
    for number in range(LIMIT):
        assert basic("admin", "wrong", f"10.0.1.{number}").get("/api/").status_code == 401

    assert basic("admin", PASSWORD, "10.0.2.1").get("/api/").status_code == 429
    assert basic("user", PASSWORD, "10.0.2.1").get("/api/").status_code == 200


@override_settings(PLUGHOST_AUTH_FAILURE_LIMIT=LIMIT, PLUGHOST_AUTH_FAILURE_WINDOW=60)
def test_bad_tokens_count_and_anonymous_callers_are_not_limited(
    api_client: ApiClientFactory,
) -> None:
    client = APIClient(REMOTE_ADDR="10.0.3.1")
    client.credentials(HTTP_AUTHORIZATION="Token nosuchtoken")
    for _ in range(LIMIT):
        assert client.get("/api/plugins/").status_code == 401

    assert client.get("/api/plugins/").status_code == 429
    # Without credentials nothing is checked, so nothing is limited (it is a 401 as ever).
    assert APIClient(REMOTE_ADDR="10.0.3.1").get("/api/plugins/").status_code == 401
    assert api_client("user").get("/api/plugins/").status_code == 200  # another address


@override_settings(PLUGHOST_AUTH_FAILURE_LIMIT=LIMIT, PLUGHOST_AUTH_FAILURE_WINDOW=60)
def test_a_successful_login_forgets_the_user_names_failures(api_client: ApiClientFactory) -> None:
    for number in range(LIMIT - 1):
        basic("admin", "wrong", f"10.0.4.{number}").get("/api/")
    assert basic("admin", PASSWORD, "10.0.5.1").get("/api/user/me/").status_code == 200

    assert basic("admin", "wrong", "10.0.6.1").get("/api/").status_code == 401
    assert basic("admin", PASSWORD, "10.0.6.2").get("/api/user/me/").status_code == 200


@override_settings(PLUGHOST_AUTH_FAILURE_LIMIT=0)
def test_a_limit_of_zero_switches_it_off(api_client: ApiClientFactory) -> None:
    for _ in range(20):
        assert basic("admin", "wrong").get("/api/").status_code == 401
