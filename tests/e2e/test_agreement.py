"""Every process and node agrees on the plugin state within a second, and none fails meanwhile."""

from __future__ import annotations

import statistics
from pathlib import Path

import psycopg
import pytest
import requests
from psycopg.types.json import Jsonb

from tests.e2e.agreement import Probe, Traffic, fresh_get, token_of, wait_for_agreement
from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import Server, use_postgres
from tests.fixtures.builder import FixtureBuilder
from tests.fixtures.index_server import PackageIndex
from tests.fixtures.pytest_plugin import make_layered_venv

WITHIN = 1.0
GOOD = "plughost-fixture-good"
GOOD_KEY = "fixture-good"
SAMPLES = 8
READ_PATHS = ("/api/plugins/", "/api/plugins/sample/", "/api/plugins/sample/settings/")


def patch(server: Server, token: str, path: str, body: dict[str, object]) -> None:
    response = requests.patch(
        server.url(path), json=body, headers={"Authorization": f"Token {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text


def serves_hi(token: str, expected: bool) -> Probe:
    def probe(server: Server) -> bool:
        return (fresh_get(server, "/plugin/sample/hi/", token).status_code == 200) is expected

    return probe


def exercise(writer: Server, readers: list[Server], token: str) -> list[float]:
    """Toggle activation and a host switch through ``writer``; time agreement on ``readers``."""
    latencies: list[float] = []
    steps: list[tuple[str, dict[str, object], bool]] = [
        ("/api/plugins/sample/activate/", {"active": True}, True),
        ("/api/plugins/plughost/settings/ENABLE_PLUGINS_URL/", {"value": False}, False),
        ("/api/plugins/plughost/settings/ENABLE_PLUGINS_URL/", {"value": True}, True),
        ("/api/plugins/sample/activate/", {"active": False}, False),
        ("/api/plugins/sample/activate/", {"active": True}, True),
    ]
    for path, body, serving in steps:
        patch(writer, token, path, body)
        probe = serves_hi(token, serving)
        latency = wait_for_agreement(readers, probe, samples=SAMPLES, timeout=10)
        assert latency <= WITHIN, f"{path} {body}: not agreed after {latency:.2f}s"
        latencies.append(latency)
    return latencies


def test_workers_of_one_server_agree(server_factory: ServerFactory) -> None:
    server = server_factory(workers=3, env={"PLUGHOST_SAMPLE_PLUGINS": "1"})
    token = token_of(server)

    with Traffic([server], token, READ_PATHS) as traffic:
        latencies = exercise(server, [server], token)

    assert traffic.failures == []
    assert traffic.sent > 0
    assert statistics.median(latencies) <= WITHIN


@pytest.mark.skipif(not use_postgres(), reason="several nodes share one PostgreSQL database")
def test_two_nodes_sharing_postgresql_agree(server_factory: ServerFactory) -> None:
    env = {"PLUGHOST_SAMPLE_PLUGINS": "1"}
    first = server_factory(env=env, workers=2)
    second = server_factory(database_url=first.database_url, env=env, workers=2)
    token = token_of(first)

    with Traffic([first, second], token, READ_PATHS) as traffic:
        latencies = exercise(first, [first, second], token)
        latencies += exercise(second, [first, second], token)

    assert traffic.failures == []
    assert max(latencies) <= WITHIN
    status = requests.get(
        second.url("/api/plugins/status/"), auth=second.admin_auth, timeout=10
    ).json()
    assert len({report["node"] for report in status["nodes"]}) == 2
    assert all(not report["stale"] for report in status["nodes"])


def installed_probe(token: str, key: str, expected: bool) -> Probe:
    def probe(server: Server) -> bool:
        response = fresh_get(server, f"/api/plugins/{key}/", token)
        return response.status_code == 200 and response.json()["is_installed"] is expected

    return probe


def test_an_install_and_uninstall_reach_every_worker_within_a_second(
    server_factory: ServerFactory, fixture_builder: FixtureBuilder, tmp_path: Path
) -> None:
    fixture_builder.build("good", "1.0.0")
    python = make_layered_venv(tmp_path / "env")
    server = server_factory(
        workers=3,
        env={"PLUGHOST_SAMPLE_PLUGINS": "1", "PLUGHOST_INSTALL_PYTHON": str(python)},
    )
    token = token_of(server)
    headers = {"Authorization": f"Token {token}"}

    with (
        Traffic([server], token, READ_PATHS) as traffic,
        PackageIndex(fixture_builder.out_dir) as index,
    ):
        body = {"confirm": True, "packagename": GOOD, "version": "1.0.0", "url": index.url}
        installed = requests.post(
            server.url("/api/plugins/install/"), json=body, headers=headers, timeout=120
        )
        assert installed.status_code == 201, installed.text
        after_install = wait_for_agreement(
            [server],
            installed_probe(token, GOOD_KEY, True),
            samples=SAMPLES,
            timeout=10,
        )
        removed = requests.patch(
            server.url(f"/api/plugins/{GOOD_KEY}/uninstall/"),
            json={"delete_config": False},
            headers=headers,
            timeout=120,
        )
        assert removed.status_code == 200, removed.text
        after_uninstall = wait_for_agreement(
            [server],
            installed_probe(token, GOOD_KEY, False),
            samples=SAMPLES,
            timeout=10,
        )

    assert after_install <= WITHIN
    assert after_uninstall <= WITHIN
    assert traffic.failures == []


def metadata_is(token: str, expected: dict[str, object]) -> Probe:
    def probe(server: Server) -> bool:
        response = fresh_get(server, "/api/plugins/sample/metadata/", token)
        return response.status_code == 200 and response.json() == {"metadata": expected}

    return probe


@pytest.mark.skipif(not use_postgres(), reason="PostgreSQL servers keep metadata in memory")
def test_metadata_written_by_any_means_reaches_every_worker_within_a_second(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(workers=3, env={"PLUGHOST_SAMPLE_PLUGINS": "1"})
    token = token_of(server)
    assert server.database_url is not None
    latencies: list[float] = []

    with Traffic([server], token, (*READ_PATHS, "/api/plugins/sample/metadata/")) as traffic:
        for value in range(3):  # each worker has read (and keeps) what the last step left
            replaced = requests.put(
                server.url("/api/plugins/sample/metadata/"),
                json={"metadata": {"api": value}},
                headers={"Authorization": f"Token {token}"},
                timeout=30,
            )
            assert replaced.status_code == 200, replaced.text
            latencies.append(
                wait_for_agreement(
                    [server], metadata_is(token, {"api": value}), samples=SAMPLES, timeout=10
                )
            )
            # As plugin code or another host would: straight into the database.
            with psycopg.connect(server.database_url, autocommit=True) as database:
                database.execute(
                    "UPDATE plugin_pluginconfig SET metadata = %s WHERE key = 'sample'",
                    [Jsonb({"direct": value})],
                )
            latencies.append(
                wait_for_agreement(
                    [server], metadata_is(token, {"direct": value}), samples=SAMPLES, timeout=10
                )
            )

    assert traffic.failures == []
    assert max(latencies) <= WITHIN
