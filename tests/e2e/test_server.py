"""The real server starts, answers its API root and hands out tokens."""

from __future__ import annotations

import requests

from tests.e2e.servers import Server

JSON = {"Accept": "application/json"}


def test_api_root_reports_api_version_198(server: Server) -> None:
    response = requests.get(server.url("/api/"), headers=JSON, timeout=10)

    assert response.status_code == 200
    assert response.json()["apiVersion"] == 198


def test_basic_auth_obtains_a_token(server: Server) -> None:
    response = requests.get(
        server.url("/api/user/token/"), headers=JSON, auth=server.admin_auth, timeout=10
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert isinstance(token, str)
    assert token
