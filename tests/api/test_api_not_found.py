"""Unknown paths under ``/api/``: InvenTree's JSON 404, for every method."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.api, pytest.mark.django_db]

NOT_FOUND = "API endpoint not found"


def test_unknown_path_is_json_404() -> None:
    response = Client().get("/api/bogus/path/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": NOT_FOUND, "url": "http://testserver/api/bogus/path/"}


def test_missing_trailing_slash_is_json_404_not_a_redirect() -> None:
    response = Client().get("/api/plugins")

    assert response.status_code == 404
    assert response.json() == {"detail": NOT_FOUND, "url": "http://testserver/api/plugins"}


def test_post_to_unknown_path_is_json_404_not_a_csrf_403() -> None:
    # InvenTree 198 answers an HTML 403 here (its CSRF check); a JSON 404 is more useful.
    response = Client(enforce_csrf_checks=True).post("/api/plugins", {"a": 1})

    assert response.status_code == 404
    assert response.json() == {"detail": NOT_FOUND, "url": "http://testserver/api/plugins"}


def test_query_string_is_part_of_the_url() -> None:
    response = Client().delete("/api/bogus/?x=1")

    assert response.json() == {"detail": NOT_FOUND, "url": "http://testserver/api/bogus/?x=1"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/bogus%0A/",
        "/api/%0A",
        "/api/plugins/a%0Ab%0Dc/settings/x%E2%80%A8y/",
        # No setting route takes it (a key is \w+), so the catch-all must.
        "/api/plugins/sample/settings/API_KEY/%0A",
    ],
)
def test_line_breaks_in_the_path_are_json_404_too(api_client: ApiClientFactory, path: str) -> None:
    # A regex's "." stops at a line break: the catch-all must still take such paths.
    response = api_client("superuser").put(path, {"value": "1"}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == NOT_FOUND
