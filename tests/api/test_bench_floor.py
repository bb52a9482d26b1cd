"""``GET /api/bench/floor/``: only with PLUGHOST_BENCH_FLOOR=1, authenticated, 40 bytes."""

from __future__ import annotations

import pytest
from django.urls import include, path
from pytest_django import Settings

from plughost.api.floor import FloorView, floor_urlpatterns
from tests.conftest import ApiClientFactory

# The server's URLconf is built once at import, without the floor; this one has it.
urlpatterns = [path("api/", include([path("bench/floor/", FloorView.as_view())]))]


def test_absent_unless_switched_on(settings: Settings) -> None:
    settings.PLUGHOST_BENCH_FLOOR = False
    assert floor_urlpatterns() == []

    settings.PLUGHOST_BENCH_FLOOR = True
    assert [pattern.name for pattern in floor_urlpatterns()] == ["api-bench-floor"]


def test_the_server_has_no_floor_by_default(api_client: ApiClientFactory) -> None:
    response = api_client("user").get("/api/bench/floor/")

    assert response.status_code == 404
    assert response.json()["detail"] == "API endpoint not found"


@pytest.mark.urls(__name__)
def test_answers_forty_bytes_to_any_authenticated_user(api_client: ApiClientFactory) -> None:
    response = api_client("user").get("/api/bench/floor/")

    assert response.status_code == 200
    assert response.content == b'{"floor":true,"detail":"plughost-bench"}'
    assert len(response.content) == 40


@pytest.mark.urls(__name__)
def test_needs_authentication(api_client: ApiClientFactory) -> None:
    response = api_client("anonymous").get("/api/bench/floor/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
