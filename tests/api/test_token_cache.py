"""The cached token authentication: same answers as DRF's, and changes take effect at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from plughost.api.authentication import CachedTokenAuthentication, TokenCache, token_cache
from tests.conftest import ApiClientFactory, Role

pytestmark = pytest.mark.usefixtures("registry")

STATUS = "/api/plugins/status/"  # superusers only


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    token_cache.clear()


def _token_client(user: User) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_a_repeated_token_is_not_looked_up_again(users: dict[Role, User]) -> None:
    client = _token_client(users["superuser"])
    assert client.get(STATUS).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/user/me/").status_code == 200

    assert not [q for q in queries.captured_queries if "authtoken_token" in q["sql"]]


def test_a_deleted_users_token_stops_working_at_once(users: dict[Role, User]) -> None:
    client = _token_client(users["superuser"])
    assert client.get(STATUS).status_code == 200

    users["superuser"].delete()
    response = client.get(STATUS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"


def test_a_deleted_token_stops_working_at_once(users: dict[Role, User]) -> None:
    client = _token_client(users["superuser"])
    assert client.get(STATUS).status_code == 200

    Token.objects.filter(user=users["superuser"]).delete()

    assert client.get(STATUS).status_code == 401


def test_a_deactivated_user_is_refused_at_once(users: dict[Role, User]) -> None:
    client = _token_client(users["superuser"])
    assert client.get(STATUS).status_code == 200

    users["superuser"].is_active = False
    users["superuser"].save()
    response = client.get(STATUS)

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_losing_superuser_takes_effect_at_once(users: dict[Role, User]) -> None:
    client = _token_client(users["superuser"])
    assert client.get(STATUS).status_code == 200

    users["superuser"].is_superuser = False
    users["superuser"].save()

    assert client.get(STATUS).status_code == 403


def test_gaining_superuser_takes_effect_at_once(users: dict[Role, User]) -> None:
    client = _token_client(users["user"])
    assert client.get(STATUS).status_code == 403

    users["user"].is_superuser = True
    users["user"].save()

    assert client.get(STATUS).status_code == 200


def test_each_request_gets_its_own_user_instance(users: dict[Role, User]) -> None:
    token, _ = Token.objects.get_or_create(user=users["staff"])
    authentication = CachedTokenAuthentication()

    first, _ = authentication.authenticate_credentials(token.key)
    second, cached_token = authentication.authenticate_credentials(token.key)

    assert first is not second
    assert (first.pk, second.pk, cached_token.user_id) == ((users["staff"].pk,) * 3)
    assert second.is_staff


def test_unknown_tokens_keep_drfs_answer(api_client: ApiClientFactory) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = client.get(STATUS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"


def test_entries_expire(users: dict[Role, User]) -> None:
    cache = TokenCache(seconds=0.0)
    token, _ = Token.objects.get_or_create(user=users["user"])

    cache.store(token.key, users["user"], token, generation=cache.generation)

    assert cache.find(token.key) is None


def test_a_read_that_predates_a_change_is_not_stored(users: dict[Role, User]) -> None:
    cache = TokenCache()
    token, _ = Token.objects.get_or_create(user=users["user"])
    generation = cache.generation

    cache.discard_user(users["user"].pk)  # a change lands while the read was in flight
    cache.store(token.key, users["user"], token, generation=generation)

    assert cache.find(token.key) is None
