"""The stored versions carried by the NOTIFY, and the health check that costs no query."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection

from plughost.db.backends.postgresql.base import is_quiet
from plughost.db.models import PluginConfig
from plughost.server.config import PREPARE_THRESHOLD
from plughost.services.state import (
    CHANNEL,
    Change,
    Notice,
    Versions,
    bump_version,
    parse_payload,
    payload_token,
    read_versions,
)
from tests.db.postgres_support import another_connection

pytestmark = pytest.mark.django_db(transaction=True)

flags: Any = connection


@pytest.fixture(autouse=True)
def _no_broken_connection_left() -> Iterator[None]:
    """Tests here break connections on purpose: never hand a broken one to the next test."""
    yield
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY and backend termination are PostgreSQL's")


def _terminate_this_backend() -> int:
    """End this test's connection from the server side, as a restart would; return its pid."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    with another_connection() as other:  # waits (up to 5 s) until the process has ended
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    deadline = time.monotonic() + 5  # and its goodbye has reached this side's socket
    while is_quiet(connection.connection) and time.monotonic() < deadline:
        time.sleep(0.01)
    return pid


def test_payload_parses_to_versions() -> None:
    assert parse_payload("7 3 12") == Notice(Versions(7, 3, 12))
    assert parse_payload("7 3 12 sample") == Notice(Versions(7, 3, 12), "sample")
    assert parse_payload("settings") is None  # an older server's payload: read instead
    assert parse_payload("7 3") is None
    assert parse_payload("7 x 12") is None
    assert parse_payload("7 3 12 a b") is None


def test_payload_tells_what_a_state_change_did_to_the_config_rows() -> None:
    assert parse_payload("7 3 12 =") is None
    assert parse_payload("7 3 12 =+sample") == Notice(Versions(7, 3, 12), configs={"sample": True})
    assert parse_payload("7 3 12 =-sample") == Notice(Versions(7, 3, 12), configs={"sample": False})
    assert parse_payload("7 3 12 =*sample") is None
    assert parse_payload("7 3 12 =+") is None
    assert payload_token(None, {"sample": True}) == "=+sample"
    assert payload_token(None, {"sample": False}) == "=-sample"
    assert payload_token(None, {}) is None
    assert payload_token(None, {"a": True, "b": False}) is None  # several: read them again
    assert payload_token("sample", None) == "sample"
    with pytest.raises(ValueError, match="not both"):
        payload_token("sample", {})


def test_notify_carries_the_versions_after_the_bump() -> None:
    _postgres_only()
    with another_connection() as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        bumped = bump_version(Change.SETTINGS)
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert [parse_payload(p) for p in payloads] == [Notice(bumped)]
    assert read_versions() == bumped


def _count_checks() -> list[str]:
    checks: list[str] = []
    original = connection.is_usable

    def counting() -> bool:
        checks.append("SELECT 1")
        return bool(original())

    flags.is_usable = counting
    return checks


def test_a_quiet_connection_is_checked_without_a_query() -> None:
    _postgres_only()
    read_versions()  # connected
    flags.health_check_enabled = True
    flags.health_check_done = False  # as at the start of a request on a reused connection
    checks = _count_checks()
    try:
        PluginConfig.objects.exists()  # any first query, the ORM's too
        bump_version(Change.STATE)
    finally:
        del flags.is_usable
    assert checks == []  # Django's SELECT 1 never ran
    assert flags.health_check_done is True


def test_a_connection_with_something_to_read_gets_djangos_check() -> None:
    _postgres_only()
    read_versions()
    assert is_quiet(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {CHANNEL}")
    with another_connection() as other:  # a NOTIFY lands, unread, on this idle connection
        other.execute("SELECT pg_notify(%s, 'x')", [CHANNEL])
    deadline = time.monotonic() + 5
    while is_quiet(connection.connection) and time.monotonic() < deadline:
        time.sleep(0.01)
    flags.health_check_enabled = True
    flags.health_check_done = False
    checks = _count_checks()
    try:
        read_versions()
    finally:
        del flags.is_usable
        with connection.cursor() as cursor:
            cursor.execute("UNLISTEN *")
    assert checks == ["SELECT 1"]


def test_a_connection_the_server_ended_is_replaced_at_the_check() -> None:
    _postgres_only()
    bumped = bump_version(Change.STATE)
    old_pid = _terminate_this_backend()
    flags.health_check_enabled = True
    flags.health_check_done = False

    assert read_versions() == bumped  # no error: the check saw it, closed it, reconnected

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != old_pid


def test_without_a_pending_check_a_broken_connection_still_fails() -> None:
    """Only a request's first query is checked: later ones raise as Django would."""
    _postgres_only()
    _terminate_this_backend()
    flags.health_check_done = True
    with pytest.raises(OperationalError):
        read_versions()
    connection.close()


def test_a_bump_on_a_broken_connection_reconnects() -> None:
    _postgres_only()
    before = bump_version(Change.STATE)
    _terminate_this_backend()
    flags.health_check_enabled = True
    flags.health_check_done = False

    after = bump_version(Change.STATE)

    assert after.version == before.version + 1
    assert read_versions() == after


def test_a_setting_change_tells_its_plugin() -> None:
    _postgres_only()
    with another_connection() as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        bumped = bump_version(Change.SETTINGS, scope="sample")
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert [parse_payload(p) for p in payloads] == [Notice(bumped, "sample")]


def test_a_statement_the_connection_runs_again_is_prepared() -> None:
    _postgres_only()
    for _ in range(PREPARE_THRESHOLD + 1):
        read_versions()

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"settings_version"' in text and "plugin_registrystate" in text for text in prepared)
    assert all("$1" in text for text in prepared if "plugin_registrystate" in text)  # bound apart
