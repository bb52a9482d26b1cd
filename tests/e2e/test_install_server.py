"""Real installs against real servers: two workers, a shared database, a start-up reinstall.

Each server installs into its own throwaway venv layered on the project's
(``PLUGHOST_INSTALL_PYTHON``), from a loopback index serving wheels built by the session.
"""

from __future__ import annotations

import contextlib
import enum
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plughost.installer.environment import take_snapshot
from plughost.installer.runner import Runner
from tests.e2e.agreement import HOLD_SECONDS
from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import Server, kill_server, postgres_database, use_postgres
from tests.fixtures.builder import Breakage, FixtureBuilder
from tests.fixtures.index_server import PackageIndex
from tests.fixtures.pytest_plugin import make_layered_venv

GOOD = "plughost-fixture-good"
GOOD_KEY = "fixture-good"
INSTALL = "/api/plugins/install/"
TIMEOUT = 90


@pytest.fixture(scope="module")
def releases(fixture_builder: FixtureBuilder) -> None:
    fixture_builder.build("good", "1.0.0")
    fixture_builder.build("good", "4.0.0", breakage=Breakage.READY)


@pytest.fixture
def shared_database() -> Iterator[str | None]:
    """One database for several servers (None: SQLite, shared through the data dir)."""
    if not use_postgres():
        yield None
        return
    with postgres_database() as url:
        yield url


class Client:
    """An admin session with one server, by token."""

    def __init__(self, server: Server) -> None:
        self.server = server
        token = requests.get(
            server.url("/api/user/token/"), auth=server.admin_auth, timeout=TIMEOUT
        ).json()["token"]
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(
            method, self.server.url(path), json=body, headers=self.headers, timeout=TIMEOUT
        )

    def install(self, index: PackageIndex, version: str, **extra: object) -> requests.Response:
        body = {"confirm": True, "packagename": GOOD, "version": version, "url": index.url}
        return self.call("POST", INSTALL, body | extra)

    def every_worker(self, path: str, predicate: Any, *, rounds: int = 8) -> dict[str, Any]:
        """Poll ``path`` until ``rounds`` answers in a row satisfy ``predicate``; return one.

        The run must also last ``HOLD_SECONDS``: answers in a row may all come from the same
        worker, and a worker still behind answers within that time.
        """
        deadline = time.monotonic() + 20
        streak = 0
        began = time.monotonic()
        while time.monotonic() < deadline:
            response = self.call("GET", path)
            if response.status_code == 200 and predicate(response.json()):
                if streak == 0:
                    began = time.monotonic()
                streak += 1
                if streak >= rounds and time.monotonic() - began >= HOLD_SECONDS:
                    body: dict[str, Any] = response.json()
                    return body
                time.sleep(0.02)
            else:
                streak = 0
                time.sleep(0.1)
        pytest.fail(
            f"{path} did not settle on every worker: {response.status_code} {response.text}"
        )


def start(
    server_factory: ServerFactory,
    python: Path,
    variables: dict[str, str] | None = None,
    **options: Any,
) -> Server:
    """Start a server that installs into the environment of ``python``."""
    env = {"PLUGHOST_INSTALL_PYTHON": str(python), "PLUGHOST_INSTALL_TIMEOUT": "60"}
    return server_factory(env=env | (variables or {}), **options)


@pytest.mark.usefixtures("releases")
def test_a_second_install_while_one_runs_gets_409(
    server_factory: ServerFactory, fixture_builder: FixtureBuilder, tmp_path: Path
) -> None:
    server = start(server_factory, make_layered_venv(tmp_path / "env"), workers=2)
    client = Client(server)
    answers: dict[str, requests.Response] = {}
    with PackageIndex(fixture_builder.out_dir) as index:
        index.hold()  # the first install waits at the index until the second was answered

        def first() -> None:
            answers["first"] = client.install(index, "1.0.0", allow_host_changes=True)

        thread = threading.Thread(target=first)
        thread.start()
        try:
            index.wait_for_request()
            second = client.install(index, "1.0.0")
            status = client.call("GET", "/api/plugins/status/")
        finally:
            index.release()
            thread.join(TIMEOUT)

    assert second.status_code == 409
    assert second.json()["detail"].startswith(
        f"Another plugin install or uninstall is running (install {GOOD}==1.0.0 from "
    )
    assert status.status_code == 200  # the server answers while an install runs
    assert answers["first"].status_code == 201
    assert answers["first"].json()["plugins"] == [GOOD_KEY]
    plugin = client.every_worker(f"/api/plugins/{GOOD_KEY}/", lambda body: True)
    assert (plugin["active"], plugin["meta"]["version"]) == (False, "1.0.0")


@pytest.mark.usefixtures("releases")
def test_a_failed_upgrade_leaves_the_earlier_version_running_on_every_worker(
    server_factory: ServerFactory, package_index: PackageIndex, tmp_path: Path
) -> None:
    env = make_layered_venv(tmp_path / "env")
    client = Client(start(server_factory, env, workers=2))
    assert client.install(package_index, "1.0.0").status_code == 201
    assert client.call("PATCH", f"/api/plugins/{GOOD_KEY}/activate/").status_code == 200

    failed = client.install(package_index, "4.0.0")

    assert failed.status_code == 400
    assert "fails at ready, on purpose" in failed.json()["non_field_errors"][0]
    assert take_snapshot(Runner(python=str(env))).version_of(GOOD) == "1.0.0"
    plugin = client.every_worker(
        f"/api/plugins/{GOOD_KEY}/", lambda body: body["meta"]["version"] == "1.0.0"
    )
    assert plugin["active"] is True
    errors = client.call("GET", "/api/plugins/status/").json()["registry_errors"]
    assert [(e["stage"], e["name"]) for e in errors if "on purpose" in e["message"]] == [
        ("ready", GOOD_KEY)
    ]


@pytest.mark.usefixtures("releases")
def test_a_new_node_installs_the_desired_set_at_start_up(
    shared_database: str | None,
    server_factory: ServerFactory,
    package_index: PackageIndex,
    tmp_path: Path,
) -> None:
    # SQLite is shared through the data dir; PostgreSQL lets each node keep its own.
    data_a = tmp_path / "node-a" / "data"
    data_b = data_a if shared_database is None else tmp_path / "node-b" / "data"
    env_b = make_layered_venv(tmp_path / "env-b")
    node_a = Client(
        start(
            server_factory,
            make_layered_venv(tmp_path / "env-a"),
            data_dir=data_a,
            database_url=shared_database,
        )
    )
    assert node_a.install(package_index, "1.0.0").status_code == 201

    node_b = Client(
        start(
            server_factory,
            env_b,
            data_dir=data_b,
            database_url=shared_database,
            variables={"PLUGHOST_PLUGINS_ON_STARTUP": "1"},
        )
    )

    assert take_snapshot(Runner(python=str(env_b))).version_of(GOOD) == "1.0.0"
    plugin = node_b.call("GET", f"/api/plugins/{GOOD_KEY}/").json()
    assert (plugin["is_installed"], plugin["meta"]["version"]) == (True, "1.0.0")
    assert f"{GOOD}==1.0.0" in (data_b / "plugins.txt").read_text().splitlines()
    log = node_b.server.log_path.read_text()
    assert f"plugin package {GOOD}: start-up install: added {GOOD} 1.0.0" in log
    audit = node_b.call("GET", "/api/plugins/audit/?user=(system)").json()["results"]
    assert [(e["action"], e["result"]) for e in audit] == [("install", "ok")]


class Moment(enum.Enum):
    """When, in an install, the server is killed."""

    PIP = "pip"  # pip is downloading from the (held) index
    TRIAL = "trial"  # pip has installed; the trial load runs (ready() stalls)


@pytest.mark.parametrize("moment", list(Moment), ids=lambda moment: moment.value)
def test_a_server_killed_during_an_install_restarts_without_the_package(
    moment: Moment, server_factory: ServerFactory, fixture_builder: FixtureBuilder, tmp_path: Path
) -> None:
    fixture_builder.build("good", "1.0.0")
    fixture_builder.build("good", "5.0.0", breakage=Breakage.STALL)
    python = make_layered_venv(tmp_path / "env")
    stalled = tmp_path / "stalled"
    variables = {
        "PLUGHOST_FIXTURE_STALL_FILE": str(stalled),
        "PLUGHOST_PLUGIN_LOAD_TIMEOUT": "120",
    }
    server = start(server_factory, python, variables, workers=2)
    client = Client(server)
    version = "1.0.0" if moment is Moment.PIP else "5.0.0"

    with PackageIndex(fixture_builder.out_dir) as index:
        if moment is Moment.PIP:
            index.hold()

        def install() -> None:
            with contextlib.suppress(requests.RequestException):  # the server dies under it
                client.install(index, version, allow_host_changes=True)

        thread = threading.Thread(target=install)
        thread.start()
        if moment is Moment.PIP:
            index.wait_for_request()
        else:
            wait_for(stalled.exists, "the trial load to start")
        kill_server(server)
        index.release()
        thread.join(TIMEOUT)
        time.sleep(3)  # time enough for a pip that outlived its server to finish

        left = take_snapshot(Runner(python=str(python))).version_of(GOOD)
        # pip died with its server; a finished pip's package stays until the restart.
        assert left == (None if moment is Moment.PIP else "5.0.0")

        again = Client(
            start(
                server_factory,
                python,
                variables,
                workers=2,
                data_dir=server.data_dir,
                database_url=server.database_url,
            )
        )

        assert take_snapshot(Runner(python=str(python))).version_of(GOOD) is None
        assert again.call("GET", f"/api/plugins/{GOOD_KEY}/").status_code == 404
        if moment is Moment.TRIAL:
            log = again.server.log_path.read_text()
            assert f"an interrupted install of {GOOD} was undone" in log
        # The lock the killed install held is free: the next install goes through.
        retried = again.install(index, "1.0.0")
        assert retried.status_code == 201, retried.text
        plugin = again.every_worker(f"/api/plugins/{GOOD_KEY}/", lambda body: True)
        assert (plugin["is_installed"], plugin["meta"]["version"]) == (True, "1.0.0")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.05)
