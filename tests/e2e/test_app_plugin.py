"""An AppMixin plugin on a real server: activated, migrated and used with no restart.

The fixture package ``tests/fixtures/plugins/app`` is built into a wheel and installed
with pip into a folder on the server's ``PYTHONPATH``, as a plugin package would be. Two
gunicorn workers serve the plugin's URL, so the model works in the process that activated
the plugin and in the one that only noticed the change. A second server on the same data
then shows that a start brings the app (and its migrations) up by itself.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from tests.e2e.agreement import HOLD_SECONDS
from tests.e2e.servers import Server, postgres_database, run_server, use_postgres
from tests.fixtures.builder import FixtureBuilder

KEY = "fixture-app"
TIMEOUT = 60
AGREEMENT_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def app_site(fixture_builder: FixtureBuilder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the installed fixture package (wheel installed by pip, offline)."""
    [wheel] = fixture_builder.build("app")
    site = tmp_path_factory.mktemp("app-site")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"),
            *("--target", str(site), str(wheel)),
        ],
        check=True,
        capture_output=True,
    )
    return site


@pytest.fixture
def database_url() -> Iterator[str | None]:
    if not use_postgres():
        yield None
        return
    with postgres_database() as url:
        yield url


def token_headers(server: Server) -> dict[str, str]:
    response = requests.get(server.url("/api/user/token/"), auth=server.admin_auth, timeout=10)
    response.raise_for_status()
    return {"Authorization": f"Token {response.json()['token']}", "Accept": "application/json"}


def fresh(
    method: str, server: Server, path: str, headers: dict[str, str], **kw: object
) -> requests.Response:
    # A new connection each time, so the requests spread over the workers.
    return requests.request(
        method,
        server.url(path),
        headers={**headers, "Connection": "close"},
        timeout=TIMEOUT,
        **kw,  # type: ignore[arg-type]
    )


def wait_until_every_worker_serves(server: Server, headers: dict[str, str]) -> None:
    """The worker that did not activate the plugin catches up within moments (its watcher).

    Consecutive answers do not prove that every worker answered (new connections may all
    reach the same one), so the run of good answers must also last ``HOLD_SECONDS``, in
    which a worker still behind would answer.
    """
    deadline = time.monotonic() + AGREEMENT_TIMEOUT
    streak = 0
    began = time.monotonic()
    while streak < 6 or time.monotonic() - began < HOLD_SECONDS:
        if fresh("GET", server, f"/plugin/{KEY}/notes/", headers).status_code == 200:
            if streak == 0:
                began = time.monotonic()
            streak += 1
        else:
            streak = 0
            assert time.monotonic() < deadline, "a worker never loaded the activated plugin"
        time.sleep(0.05)


def test_activating_an_app_plugin_migrates_it_and_its_model_works_at_once(
    app_site: Path, tmp_path: Path, database_url: str | None
) -> None:
    env = {"PYTHONPATH": str(app_site)}
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        server = stack.enter_context(
            run_server(data_dir, database_url=database_url, env=env, workers=2)
        )
        headers = token_headers(server)
        detail = fresh("GET", server, f"/api/plugins/{KEY}/", headers).json()
        assert detail["active"] is False
        assert list(detail["mixins"]) == ["base", "urls", "settings", "app"]
        assert fresh("GET", server, f"/plugin/{KEY}/notes/", headers).status_code == 404

        activated = fresh("PATCH", server, f"/api/plugins/{KEY}/activate/", headers, json={})

        assert activated.status_code == 200
        assert activated.json() == {"active": True}
        wait_until_every_worker_serves(server, headers)
        created = fresh("POST", server, f"/plugin/{KEY}/notes/", headers, json={"text": "first"})
        assert created.status_code == 201, created.text
        for _ in range(6):  # both workers answer from the plugin's table
            listed = fresh("GET", server, f"/plugin/{KEY}/notes/", headers)
            assert listed.status_code == 200, listed.text
            assert listed.json() == {
                "notes": [{"text": "first", "author": server.admin_user}],
                "style": f"/static/plugins/{KEY}/notes.css",
            }
        style = fresh("GET", server, f"/static/plugins/{KEY}/notes.css", headers)
        assert style.status_code == 200
        assert style.text == "li { color: teal; }\n"
        status = fresh("GET", server, "/api/plugins/status/", headers).json()
        assert [e for e in status["registry_errors"] if e["name"] == KEY] == []
        stack.close()  # stop it

        # A start on the same data loads the app before serving, with the notes kept.
        restarted = stack.enter_context(
            run_server(data_dir, database_url=database_url, env=env, workers=1)
        )
        headers = token_headers(restarted)
        listed = fresh("GET", restarted, f"/plugin/{KEY}/notes/", headers)
        assert listed.status_code == 200, listed.text
        assert [note["text"] for note in listed.json()["notes"]] == ["first"]
