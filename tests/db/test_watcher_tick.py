"""The watcher's tick: catching up, and reconciles spaced out during bursts of changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from plughost.db.models import PluginConfig
from plughost.runtime import holder
from plughost.services import watcher
from plughost.services.reconcile import ReconcileOutcome
from plughost.services.registry import Discovery, rebuild
from plughost.services.state import Change, Notice, bump_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(watcher.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def reconciles(monkeypatch: pytest.MonkeyPatch, data_dir: Path, settings: Settings) -> list[int]:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    calls: list[int] = []

    def reconcile() -> ReconcileOutcome:
        calls.append(1)
        return ReconcileOutcome(True, "in step")

    monkeypatch.setattr(watcher, "reconcile_node", reconcile)
    # Its connection care would end the test's transaction; it is not what is tested here.
    monkeypatch.setattr(watcher, "close_old_connections", lambda: None)
    return calls


def test_a_burst_of_package_changes_reconciles_once_a_second(
    clock: list[float], reconciles: list[int]
) -> None:
    state: dict[str, float | int] = {}
    watcher._tick(state)  # at start
    assert len(reconciles) == 1

    bump_version(Change.PACKAGES)
    clock[0] += 0.3
    watcher._tick(state)
    assert len(reconciles) == 1  # too soon: put off
    assert state["wake_in"] == pytest.approx(0.7)  # the listener wakes for it

    clock[0] += 0.7
    watcher._tick(state)
    assert len(reconciles) == 2
    assert "wake_in" not in state

    watcher._tick(state)  # nothing new
    assert len(reconciles) == 2


def test_a_change_after_a_quiet_second_reconciles_at_once(
    clock: list[float], reconciles: list[int]
) -> None:
    state: dict[str, float | int] = {}
    watcher._tick(state)
    clock[0] += 5.0

    bump_version(Change.PACKAGES)
    watcher._tick(state)

    assert len(reconciles) == 2
    assert holder.snapshot.collect_version == state["reconciled"]


@pytest.mark.parametrize("reloaded", [False, True])
def test_notices_tell_which_changes_need_the_config_rows_read(
    clock: list[float], reconciles: list[int], reloaded: bool
) -> None:
    state: dict[str, float | int] = {}
    watcher._tick(state)
    PluginConfig.objects.filter(key="simpleaction").update(active=True)
    notices = [
        Notice(
            bump_version(Change.STATE, configs={"simpleaction": True}),
            configs={"simpleaction": True},
        )
    ]
    if reloaded:  # a reload elsewhere: its notice tells no flag
        PluginConfig.objects.filter(key="schedule").update(active=True)
        notices.append(Notice(bump_version(Change.STATE)))

    with CaptureQueriesContext(connection) as queries:
        watcher._tick(state, notices)

    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if sql.startswith('SELECT "recent_changes"')]  # all were told
    every_row = [sql for sql in reads if '"package_name"' in sql and "ORDER BY" in sql]
    assert len(every_row) == (1 if reloaded else 0)
    assert {key: row["active"] for key, row in holder.snapshot.configs.items()} == dict(
        PluginConfig.objects.values_list("key", "active")
    )
