"""Parsing SCHEDULED_TASKS and planning the stored schedules."""

from __future__ import annotations

from typing import Any

import pytest

from plughost.core.errors import MixinImplementationError
from plughost.core.schedules import (
    StoredSchedule,
    TaskSpec,
    parse_scheduled_tasks,
    plan_sync,
    schedule_name,
    split_schedule_name,
    stored_form,
)

RUNNER = "host.tasks.run"

INVENTREE_SAMPLE = {
    "member": {"func": "member_func", "schedule": "I", "minutes": 30},
    "hello": {"func": "pkg.tasks.print_hello", "schedule": "I", "minutes": 45},
    "world": {"func": "pkg.tasks.print_world", "schedule": "H"},
}


def test_inventree_format_parses() -> None:
    specs = parse_scheduled_tasks("schedule", INVENTREE_SAMPLE)

    assert specs == [
        TaskSpec("schedule", "member", "member_func", "I", minutes=30),
        TaskSpec("schedule", "hello", "pkg.tasks.print_hello", "I", minutes=45),
        TaskSpec("schedule", "world", "pkg.tasks.print_world", "H"),
    ]
    assert [spec.name for spec in specs] == [
        "plugin.schedule.member",
        "plugin.schedule.hello",
        "plugin.schedule.world",
    ]
    assert [spec.is_member for spec in specs] == [True, False, False]


def test_schedule_letters_are_normalised_and_cron_and_repeats_are_kept() -> None:
    [spec] = parse_scheduled_tasks(
        "k", {"t": {"func": " f ", "schedule": " c", "cron": "0  3 * * *", "repeats": 2}}
    )
    assert spec == TaskSpec("k", "t", "f", "C", cron="0 3 * * *", repeats=2)


@pytest.mark.parametrize("letter", ["I", "H", "D", "W", "M", "Q", "Y", "C", "O"])
def test_every_schedule_type_is_accepted(letter: str) -> None:
    task: dict[str, Any] = {"func": "f", "schedule": letter, "minutes": 5, "cron": "* * * * *"}
    [spec] = parse_scheduled_tasks("k", {"t": task})
    assert spec.schedule_type == letter
    assert spec.minutes == (5 if letter == "I" else None)
    assert spec.cron == ("* * * * *" if letter == "C" else None)


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ({}, "SCHEDULED_TASKS not defined"),
        ([("t", {})], "SCHEDULED_TASKS not defined"),
        ({"t": "f"}, "Task 't' must be a dict"),
        ({"t": {"schedule": "H"}}, "Task 't' is missing 'func'"),
        ({"t": {"func": "", "schedule": "H"}}, "empty or non-text 'func'"),
        ({"t": {"func": 5, "schedule": "H"}}, "empty or non-text 'func'"),
        ({"t": {"func": "f", "schedule": "Z"}}, "invalid schedule 'Z'"),
        ({"t": {"func": "f"}}, "invalid schedule None"),
        ({"t": {"func": "f", "schedule": "I"}}, "missing 'minutes'"),
        ({"t": {"func": "f", "schedule": "I", "minutes": 0}}, "invalid 'minutes' 0"),
        ({"t": {"func": "f", "schedule": "I", "minutes": "5"}}, "invalid 'minutes' '5'"),
        ({"t": {"func": "f", "schedule": "I", "minutes": True}}, "invalid 'minutes' True"),
        ({"t": {"func": "f", "schedule": "C"}}, "missing 'cron'"),
        ({"t": {"func": "f", "schedule": "C", "cron": "* *"}}, "invalid 'cron'"),
        ({"t": {"func": "f", "schedule": "H", "repeats": -2}}, "invalid 'repeats' -2"),
        ({"t" * 95: {"func": "f", "schedule": "H"}}, "longer than 100 characters"),
    ],
)
def test_malformed_tasks_name_the_task(tasks: object, message: str) -> None:
    with pytest.raises(MixinImplementationError, match=message) as raised:
        parse_scheduled_tasks("k", tasks)
    assert raised.value.key == "k"


def test_schedule_names_round_trip_and_other_names_are_not_plugin_tasks() -> None:
    assert schedule_name("key", "a.b") == "plugin.key.a.b"
    assert split_schedule_name("plugin.key.a.b") == ("key", "a.b")
    for other in ("backup", "plugin.", "plugin.key", "plugin.key.", "plugins.key.t"):
        assert split_schedule_name(other) is None


def stored(spec: TaskSpec, **changes: Any) -> StoredSchedule:
    form = stored_form(spec, RUNNER)
    return StoredSchedule(**{**form.__dict__, **changes})


MEMBER = TaskSpec("schedule", "member", "member_func", "I", minutes=30)
WORLD = TaskSpec("schedule", "world", "pkg.world", "H")


def test_stored_form_routes_every_task_through_the_runner() -> None:
    assert stored_form(MEMBER, RUNNER) == StoredSchedule(
        name="plugin.schedule.member",
        func=RUNNER,
        args="'schedule', 'member'",
        schedule_type="I",
        minutes=30,
        cron=None,
        repeats=-1,
    )


def test_new_tasks_are_created_and_matching_ones_left_alone() -> None:
    plan = plan_sync([MEMBER, WORLD], [stored(MEMBER)], held_keys=(), runner=RUNNER)
    assert (plan.create, plan.update, plan.delete) == ([WORLD], [], [])
    assert not plan_sync([MEMBER], [stored(MEMBER)], held_keys=(), runner=RUNNER)


def test_a_changed_definition_is_an_update() -> None:
    plan = plan_sync([MEMBER], [stored(MEMBER, minutes=5)], held_keys=(), runner=RUNNER)
    assert plan.update == [MEMBER]
    plan = plan_sync([MEMBER], [stored(MEMBER, func="old.runner")], held_keys=(), runner=RUNNER)
    assert plan.update == [MEMBER]


def test_a_finite_repeat_count_counting_down_is_not_an_update() -> None:
    finite = TaskSpec("k", "t", "f", "H", repeats=5)
    assert not plan_sync([finite], [stored(finite, repeats=2)], held_keys=(), runner=RUNNER)
    plan = plan_sync([MEMBER], [stored(MEMBER, repeats=3)], held_keys=(), runner=RUNNER)
    assert plan.update == [MEMBER]


def test_tasks_of_plugins_no_longer_loaded_are_deleted_unless_held() -> None:
    gone = TaskSpec("gone", "t", "f", "H")
    failing = TaskSpec("failing", "t", "f", "H")
    plan = plan_sync(
        [MEMBER],
        [stored(MEMBER), stored(gone), stored(failing), stored(WORLD)],
        held_keys={"failing"},
        runner=RUNNER,
    )
    # `world` is no longer declared by the loaded plugin; `gone` was deactivated;
    # `failing` is active but failed to load: it keeps its task.
    assert plan.delete == ["plugin.gone.t", "plugin.schedule.world"]
    assert (plan.create, plan.update) == ([], [])


def test_schedules_not_named_plugin_are_never_touched() -> None:
    other = StoredSchedule("backup", "app.backup", "", "D", None, None, -1)
    assert not plan_sync([], [other], held_keys=(), runner=RUNNER)
