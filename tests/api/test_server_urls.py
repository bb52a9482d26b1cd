"""The server's own routes: schema, docs and the headers every answer carries."""

from __future__ import annotations

import pytest
from django.test import Client


def test_schema_describes_inventree_api_198(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    info = response.json()["info"]
    assert (info["title"], info["version"]) == ("InvenTree API", "198")


def test_every_answer_is_english_and_unframeable(client: Client) -> None:
    response = client.get("/api/schema/")

    assert response["Content-Language"] == "en"
    assert response["X-Frame-Options"] == "DENY"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.django_db
def test_docs_are_served_offline(client: Client) -> None:
    page = client.get("/api/docs/")
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")

    body = b"".join(bundle.streaming_content)  # type: ignore[attr-defined]
    bundle.close()

    assert page.status_code == 200
    assert b"swagger-ui-dist/swagger-ui-bundle.js" in page.content
    assert bundle.status_code == 200
    assert b"SwaggerUIBundle" in body
