"""SQLite: writers of every process queue on a file lock instead of SQLite's busy sleeps."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plughost.db.backends.sqlite3 import base
from plughost.db.backends.sqlite3.base import DatabaseWrapper


def _wrapper(path: Path, timeout: float = 5.0) -> DatabaseWrapper:
    settings: dict[str, Any] = {
        "ENGINE": "plughost.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {"timeout": timeout, "transaction_mode": "IMMEDIATE"},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
    }
    return DatabaseWrapper(settings, alias=f"writers-{id(settings)}")


def _begin(wrapper: DatabaseWrapper) -> None:
    """What ``transaction.atomic`` does first on SQLite (``BEGIN IMMEDIATE``)."""
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(wrapper: DatabaseWrapper, *, commit: bool = True) -> None:
    if commit:
        wrapper.commit()
    else:
        wrapper.rollback()
    wrapper.set_autocommit(True)


@pytest.fixture(autouse=True)
def _own_database_files(django_db_blocker: Any) -> Iterator[None]:
    """These tests open SQLite files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite3"
    setup = _wrapper(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n integer)")
    setup.close()
    return path


def _held_elsewhere(path: Path) -> bool:
    fd = os.open(f"{path}.writers", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.mark.parametrize("commit", [True, False])
def test_a_transaction_holds_the_writers_lock_until_it_ends(database: Path, commit: bool) -> None:
    wrapper = _wrapper(database)
    _begin(wrapper)
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    assert _held_elsewhere(database)

    _end(wrapper, commit=commit)

    assert not _held_elsewhere(database)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == ((1,) if commit else (0,))
    wrapper.close()


def test_a_second_writer_goes_as_soon_as_the_first_commits(database: Path) -> None:
    first = _wrapper(database)
    _begin(first)
    began = threading.Event()

    def write() -> None:  # another worker's thread, with its own connection
        second = _wrapper(database)
        _begin(second)
        began.set()
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        _end(second)
        second.close()

    writer = threading.Thread(target=write)
    writer.start()
    assert not began.wait(0.2)  # it queues on the lock file, not inside SQLite

    _end(first)
    assert began.wait(5.0)
    writer.join(5.0)
    with first.cursor() as cursor:
        cursor.execute("SELECT n FROM t")
        assert cursor.fetchall() == [(2,)]
    first.close()


def test_a_writer_waits_no_longer_than_the_timeout_then_sqlite_decides(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = os.open(f"{database}.writers", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # a writer of another process, stuck
    monkeypatch.setattr(base, "LONGEST_PAUSE_SECONDS", 0.01)
    wrapper = _wrapper(database, timeout=0.2)
    started = time.monotonic()

    _begin(wrapper)  # SQLite's own lock is free: BEGIN goes through after the wait

    assert time.monotonic() - started >= 0.2
    _end(wrapper)
    os.close(holder)
    wrapper.close()


def test_statements_outside_a_transaction_take_no_writers_lock(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[int] = []
    monkeypatch.setattr(DatabaseWrapper, "_take_writers_lock", lambda self: taken.append(1))
    wrapper = _wrapper(database)

    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (3)")  # autocommit: SQLite's lock only

    assert taken == []
    _begin(wrapper)  # a transaction takes it
    assert taken == [1]
    _end(wrapper)
    wrapper.close()
