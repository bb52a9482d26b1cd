"""Actions and outbound API calls on a real server with the samples.

The API caller is driven the way an InvenTree plugin's own code drives it: through
``plugin.registry`` in a process of the same installation (``plughost manage shell``),
with its settings stored through the server's API.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import Server, plughost_command, server_environment
from tests.loopback_http import Recorded, loopback_api

TOKEN = "e2e-api-token-value"
TIMEOUT = 30
SAMPLES = {"PLUGHOST_SAMPLE_PLUGINS": "1"}


@pytest.fixture
def samples_server(server_factory: ServerFactory) -> Server:
    return server_factory(env=SAMPLES, workers=1)


@pytest.fixture
def api() -> Iterator[Recorded]:
    with loopback_api() as recorded:
        yield recorded


def headers_of(server: Server) -> dict[str, str]:
    response = requests.get(server.url("/api/user/token/"), auth=server.admin_auth, timeout=10)
    return {"Authorization": f"Token {response.json()['token']}"}


def call(server: Server, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(
        method, server.url(path), json=body, headers=headers_of(server), timeout=TIMEOUT
    )


def run_in_installation(server: Server, code: str) -> subprocess.CompletedProcess[str]:
    env = server_environment(server.data_dir, server.database_url, SAMPLES)
    return subprocess.run(
        [*plughost_command(), "manage", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_an_action_is_answered(samples_server: Server) -> None:
    assert call(samples_server, "POST", "/api/action/", {"action": "simple"}).json() == {
        "error": "No matching action found",
        "action": "simple",
    }
    assert call(samples_server, "PATCH", "/api/plugins/simpleaction/activate/", {}).ok

    response = call(samples_server, "POST", "/api/action/", {"action": "simple", "data": {}})

    assert response.status_code == 200
    assert response.json() == {
        "action": "simple",
        "result": True,
        "info": {"user": samples_server.admin_user, "hello": "world"},
    }


def test_the_api_caller_sends_its_token_and_honours_its_timeout(
    samples_server: Server, api: Recorded
) -> None:
    settings = "/api/plugins/sample-api-caller/settings/"
    assert call(samples_server, "PATCH", "/api/plugins/sample-api-caller/activate/", {}).ok
    assert call(samples_server, "PATCH", f"{settings}API_URL/", {"value": api.base_url}).ok
    stored = call(samples_server, "PATCH", f"{settings}API_TOKEN/", {"value": TOKEN})
    assert stored.json()["value"] == "***"

    called = run_in_installation(
        samples_server,
        "import json; from plugin import registry; "
        "print(json.dumps(registry.get_plugin('sample-api-caller').get_external_url()))",
    )

    assert called.returncode == 0, called.stderr
    assert called.stdout.strip().splitlines()[-1] == '{"data": {"id": 2, "first_name": "Janet"}}'
    [request] = api.requests
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["authorization"] == f"Bearer {TOKEN}"

    api.delay = 3.0
    timed = run_in_installation(
        samples_server,
        "from plugin import registry\n"
        "try:\n"
        "    registry.get_plugin('sample-api-caller').api_call('api/users/2', timeout=0.5)\n"
        "except TimeoutError as exc:\n"
        "    print('timed out:', exc)\n",
    )

    assert timed.returncode == 0, timed.stderr
    assert "did not answer within 0.5 seconds" in timed.stdout
    assert TOKEN not in timed.stdout + timed.stderr
    assert TOKEN not in samples_server.log_path.read_text()
