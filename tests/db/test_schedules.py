"""Plugin schedules follow the registry, and the task runner runs what they name."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from plughost.core.errors import MixinImplementationError, PluginNotFoundError
from plughost.core.registry import Registry
from plughost.db.models import PluginConfig
from plughost.runtime import holder
from plughost.services import plugin_settings, plugins
from plughost.services.registry import Discovery, rebuild, reload_registry
from plughost.services.schedules import RUNNER, list_plugin_tasks, sync_schedules
from plughost.services.state import Change, bump_version
from plughost.services.tasks import run_plugin_task

pytestmark = pytest.mark.django_db


def stored() -> dict[str, tuple[str, str | None, str, int | None]]:
    return {
        str(row.name): (row.func, row.args, row.schedule_type, row.minutes)
        for row in Schedule.objects.filter(name__startswith="plugin.")
    }


def test_activating_a_schedule_plugin_stores_its_tasks(worker_registry: Registry) -> None:
    assert stored() == {}

    plugins.activate("schedule")

    assert stored() == {
        "plugin.schedule.member": (RUNNER, "'schedule', 'member'", "I", 30),
        "plugin.schedule.hello": (RUNNER, "'schedule', 'hello'", "I", 45),
        "plugin.schedule.world": (RUNNER, "'schedule', 'world'", "H", None),
    }


def test_deactivating_removes_its_tasks_only(worker_registry: Registry) -> None:
    plugins.activate("schedule")
    plugins.activate("taskfixture")
    Schedule.objects.create(name="backup", func="app.backup", schedule_type="D")

    plugins.deactivate("schedule")

    assert sorted(stored()) == [
        "plugin.taskfixture.fails",
        "plugin.taskfixture.ok",
        "plugin.taskfixture.overruns",
    ]
    assert Schedule.objects.filter(name="backup").exists()


def test_a_plugin_failing_to_load_keeps_its_tasks(
    worker_registry: Registry, plugin_folder: Path
) -> None:
    plugins.activate("taskfixture")
    before = stored()
    (plugin_folder / "FAIL_TO_LOAD").touch()

    registry = reload_registry(Discovery.REUSE)

    assert not registry.is_loaded("taskfixture")
    assert stored() == before
    # Deactivated, its tasks go, although it still fails to load.
    plugins.deactivate("taskfixture")
    assert stored() == {}


def test_a_stale_build_does_not_sync(worker_registry: Registry) -> None:
    PluginConfig.objects.filter(key="schedule").update(active=True)
    bump_version(Change.STATE)  # another process moved on; this registry is older

    assert sync_schedules(holder.current()) is None
    assert stored() == {}


def test_duplicate_schedules_are_removed(worker_registry: Registry) -> None:
    plugins.activate("schedule")
    Schedule.objects.create(name="plugin.schedule.member", func=RUNNER, schedule_type="I")

    sync_schedules(holder.current())

    assert Schedule.objects.filter(name="plugin.schedule.member").count() == 1


def test_the_runner_calls_member_and_dotted_functions(worker_registry: Registry) -> None:
    plugins.activate("schedule")

    assert run_plugin_task("schedule", "member") is False  # T_OR_F
    plugin_settings.update_setting("schedule", "T_OR_F", True)
    assert run_plugin_task("schedule", "member") is True
    assert run_plugin_task("schedule", "hello") == "Hello"
    assert run_plugin_task("schedule", "world") == "World"
    assert PluginConfig.objects.get(key="schedule").metadata["runs"] == {"member": 2}


def test_the_schedule_switch_gates_every_run(worker_registry: Registry) -> None:
    plugins.activate("schedule")
    plugin_settings.update_setting("plughost", "ENABLE_PLUGINS_SCHEDULE", False)

    assert run_plugin_task("schedule", "member") == "skipped: ENABLE_PLUGINS_SCHEDULE is off"
    assert "runs" not in PluginConfig.objects.get(key="schedule").metadata
    # The switch pauses; it removes nothing (InvenTree deletes every plugin task).
    assert len(stored()) == 3


def test_the_runner_refuses_plugins_and_tasks_it_cannot_run(
    worker_registry: Registry, plugin_folder: Path
) -> None:
    plugins.activate("taskfixture")

    # A run queued before its plugin was deactivated is skipped.
    assert run_plugin_task("schedule", "member") == "skipped: plugin 'schedule' is not active"
    with pytest.raises(MixinImplementationError, match="no longer declares task 'gone'"):
        run_plugin_task("taskfixture", "gone")
    with pytest.raises(RuntimeError, match="this task always fails"):
        run_plugin_task("taskfixture", "fails")
    assert run_plugin_task("taskfixture", "ok") == "ok"
    # Active but failing to load: every run fails, saying why.
    (plugin_folder / "FAIL_TO_LOAD").touch()
    reload_registry(Discovery.REUSE)
    with pytest.raises(PluginNotFoundError, match="'taskfixture' is active but not loaded"):
        run_plugin_task("taskfixture", "ok")


def test_tasks_are_listed_with_their_plugin_and_state(worker_registry: Registry) -> None:
    plugins.activate("schedule")

    tasks = list_plugin_tasks(holder.current())

    assert [(t.key, t.task, t.func, t.loaded, t.runs) for t in tasks] == [
        ("schedule", "hello", "plughost.plugins.samples.scheduled_task.print_hello", True, 0),
        ("schedule", "member", "member_func", True, 0),
        ("schedule", "world", "plughost.plugins.samples.scheduled_task.print_world", True, 0),
    ]
    assert all(t.last_run is None for t in tasks)
    assert [t.task for t in list_plugin_tasks(holder.current(), key="nothing")] == []


def test_a_rebuild_that_changes_no_task_does_not_sync(worker_registry: Registry) -> None:
    plugins.activate("schedule")
    assert "plugin.schedule.hello" in stored()
    Schedule.objects.filter(name="plugin.schedule.hello").delete()  # behind the host's back

    # Activating a plugin without tasks rebuilds; the tasks it syncs from did not change.
    with CaptureQueriesContext(connection) as counted:
        plugins.activate("sample")
    assert not any("django_q_schedule" in q["sql"] for q in counted.captured_queries)
    assert "plugin.schedule.hello" not in stored()

    # Nothing changed on disk: a collect reuses the discovery, and there is nothing to sync.
    rebuild(Discovery.RECOLLECT)
    assert "plugin.schedule.hello" not in stored()
    # A process that starts discovers, and syncs what it finds.
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    assert "plugin.schedule.hello" in stored()


def test_a_rebuild_that_changes_the_tasks_syncs(worker_registry: Registry) -> None:
    plugins.activate("schedule")
    plugins.activate("taskfixture")

    assert {"plugin.schedule.hello", "plugin.taskfixture.ok"} <= set(stored())
