"""The stored versions: read as a request's health check, and carried by the NOTIFY."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection

from plughost.services import checked_read
from plughost.services.state import (
    CHANNEL,
    Change,
    Notice,
    Versions,
    bump_version,
    parse_payload,
    read_versions,
)

pytestmark = pytest.mark.django_db(transaction=True)

flags: Any = connection


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY and backend termination are PostgreSQL's")


def _another_connection() -> psycopg.Connection[Any]:
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        dbname=params["NAME"],
        user=params["USER"] or None,
        autocommit=True,
    )


def test_payload_parses_to_versions() -> None:
    assert parse_payload("7 3 12") == Notice(Versions(7, 3, 12))
    assert parse_payload("7 3 12 sample") == Notice(Versions(7, 3, 12), "sample")
    assert parse_payload("settings") is None  # an older server's payload: read instead
    assert parse_payload("7 3") is None
    assert parse_payload("7 x 12") is None
    assert parse_payload("7 3 12 a b") is None


def test_notify_carries_the_versions_after_the_bump() -> None:
    _postgres_only()
    with _another_connection() as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        bumped = bump_version(Change.SETTINGS)
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert [parse_payload(p) for p in payloads] == [Notice(bumped)]
    assert read_versions() == bumped


def test_a_first_read_is_the_health_check() -> None:
    read_versions()  # connected
    flags.health_check_enabled = True
    flags.health_check_done = False  # as at the start of a request on a reused connection
    checks: list[str] = []
    original = connection.is_usable

    def counting() -> bool:
        checks.append("SELECT 1")
        return bool(original())

    flags.is_usable = counting
    try:
        stored = read_versions()
        read_versions()
    finally:
        del flags.is_usable
    assert stored == read_versions()
    assert checks == []  # Django's own check never ran
    assert flags.health_check_done is True


def test_a_broken_connection_is_replaced_by_the_checking_read() -> None:
    _postgres_only()
    bumped = bump_version(Change.STATE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        old_pid = cursor.fetchone()[0]
    with _another_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    flags.health_check_enabled = True
    flags.health_check_done = False

    assert read_versions() == bumped  # no error: closed, reconnected, read again

    rows = checked_read.read_rows("SELECT pg_backend_pid()")
    assert rows[0][0] != old_pid


def test_without_a_pending_check_a_broken_connection_still_fails() -> None:
    """Only a request's first read may retry: later ones raise as Django would."""
    _postgres_only()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with _another_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    flags.health_check_done = True
    with pytest.raises(OperationalError):
        read_versions()
    connection.close()


def test_a_first_bump_outside_a_transaction_is_the_health_check_too() -> None:
    before = bump_version(Change.STATE)  # connected, the state row exists
    flags.health_check_enabled = True
    flags.health_check_done = False
    checks: list[str] = []
    original = connection.is_usable

    def counting() -> bool:
        checks.append("SELECT 1")
        return bool(original())

    flags.is_usable = counting
    try:
        after = bump_version(Change.STATE)
    finally:
        del flags.is_usable
    assert checks == []
    assert after.version == before.version + 1


def test_a_bump_on_a_broken_connection_reconnects() -> None:
    _postgres_only()
    before = bump_version(Change.STATE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        old_pid = cursor.fetchone()[0]
    with _another_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    flags.health_check_enabled = True
    flags.health_check_done = False

    after = bump_version(Change.STATE)

    assert after.version == before.version + 1
    assert read_versions() == after


def test_a_setting_change_tells_its_plugin() -> None:
    _postgres_only()
    with _another_connection() as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        bumped = bump_version(Change.SETTINGS, scope="sample")
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert [parse_payload(p) for p in payloads] == [Notice(bumped, "sample")]
