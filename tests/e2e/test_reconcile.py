"""Nodes reconcile their plugin packages with the desired set that the database holds.

Each node has its own data dir and its own install environment (a throwaway venv layered
on the project's), and all share one PostgreSQL database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from plughost.installer.environment import take_snapshot
from plughost.installer.runner import Runner
from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import Server, use_postgres
from tests.fixtures.builder import FixtureBuilder
from tests.fixtures.index_server import PackageIndex
from tests.fixtures.pytest_plugin import make_layered_venv

pytestmark = pytest.mark.skipif(
    not use_postgres(), reason="nodes with their own data dirs share one PostgreSQL database"
)

GOOD = "plughost-fixture-good"
GOOD_KEY = "fixture-good"
SETTLE = 60.0


def admin(server: Server, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.request(
        method, server.url(path), json=body, auth=server.admin_auth, timeout=120
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def node(factory: ServerFactory, root: Path, name: str, database_url: str | None) -> Server:
    python = make_layered_venv(root / f"env-{name}")
    return factory(
        data_dir=root / name / "data",
        database_url=database_url,
        env={"PLUGHOST_INSTALL_PYTHON": str(python), "PLUGHOST_INSTALL_TIMEOUT": "60"},
    )


def settle(server: Server, path: str, predicate: Any) -> Any:
    deadline = time.monotonic() + SETTLE
    body: Any = None
    while time.monotonic() < deadline:
        response = requests.get(server.url(path), auth=server.admin_auth, timeout=30)
        body = response.json() if response.status_code == 200 else response.status_code
        if response.status_code == 200 and predicate(body):
            return body
        time.sleep(0.25)
    pytest.fail(f"{server.base_url}{path} did not settle: {body}")


def own_report(status: dict[str, Any], server: Server) -> dict[str, Any]:
    """Return the report of ``server``'s node ({} before its first heartbeat)."""
    path = server.data_dir / "node_id"
    node_id = path.read_text(encoding="utf-8").strip() if path.exists() else None
    reports = [report for report in status["nodes"] if report["node"] == node_id]
    return reports[0] if reports else {}


def environment_of(server: Server) -> Runner:
    python = server.data_dir.parent.parent / f"env-{server.data_dir.parent.name}" / "bin" / "python"
    return Runner(python=str(python))


def test_install_and_uninstall_on_one_node_reach_the_other(
    server_factory: ServerFactory, fixture_builder: FixtureBuilder, tmp_path: Path
) -> None:
    fixture_builder.build("good", "1.0.0")
    first = node(server_factory, tmp_path, "a", None)
    second = node(server_factory, tmp_path, "b", first.database_url)
    with PackageIndex(fixture_builder.out_dir) as index:
        started = time.monotonic()
        admin(
            first,
            "POST",
            "/api/plugins/install/",
            {"confirm": True, "packagename": GOOD, "version": "1.0.0", "url": index.url},
        )
        plugin = settle(second, f"/api/plugins/{GOOD_KEY}/", lambda body: body["is_installed"])
        reached = time.monotonic() - started

    assert plugin["meta"]["version"] == "1.0.0"
    assert take_snapshot(environment_of(second)).version_of(GOOD) == "1.0.0"
    status = settle(
        second,
        "/api/plugins/status/",
        lambda body: own_report(body, second).get("packages", {}).get(GOOD) == "1.0.0",
    )
    assert own_report(status, second)["last_reconcile"]["ok"] is True
    assert reached < SETTLE

    admin(first, "PATCH", f"/api/plugins/{GOOD_KEY}/uninstall/", {"delete_config": False})
    settle(second, f"/api/plugins/{GOOD_KEY}/", lambda body: not body["is_installed"])

    assert take_snapshot(environment_of(second)).version_of(GOOD) is None


def test_a_node_that_cannot_install_reports_it_and_keeps_serving(
    server_factory: ServerFactory, fixture_builder: FixtureBuilder, tmp_path: Path
) -> None:
    fixture_builder.build("good", "1.0.0")
    first = node(server_factory, tmp_path, "a", None)
    with PackageIndex(fixture_builder.out_dir) as index:
        admin(
            first,
            "POST",
            "/api/plugins/install/",
            {"confirm": True, "packagename": GOOD, "version": "1.0.0", "url": index.url},
        )
    # The index is gone now: a node started later cannot install the package.
    late = node(server_factory, tmp_path, "c", first.database_url)

    status = settle(
        late,
        "/api/plugins/status/",
        lambda body: (own_report(body, late).get("last_reconcile") or {}).get("ok") is False,
    )

    assert GOOD in own_report(status, late)["last_reconcile"]["result"]
    assert requests.get(late.url("/api/plugins/"), auth=late.admin_auth, timeout=30).ok
    listed = admin(late, "GET", f"/api/plugins/{GOOD_KEY}/")
    assert listed["is_installed"] is False
