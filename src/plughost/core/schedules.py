"""Scheduled tasks of plugins: parse ``SCHEDULED_TASKS`` and plan the stored schedules.

A plugin declares tasks in InvenTree's format::

    SCHEDULED_TASKS = {
        "member": {"func": "member_func", "schedule": "I", "minutes": 30},
        "hello": {"func": "my_package.tasks.hello", "schedule": "H"},
        "nightly": {"func": "cleanup", "schedule": "C", "cron": "0 3 * * *"},
    }

``schedule`` is a django-q schedule type: I (every ``minutes``), H, D, W, M, Q, Y, C (cron,
with ``cron``) or O (once). ``repeats`` defaults to -1 (forever). A bare ``func`` names a
method of the plugin; a dotted one names a module-level function.

Each task is stored as one schedule named ``plugin.<key>.<task>``. ``plan_sync`` computes how
the stored schedules must change so that they match the loaded plugins, without ever
dropping the tasks of a plugin that is active but failing to load for the moment.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from plughost.core.errors import MixinImplementationError

TASK_PREFIX = "plugin."
SCHEDULE_TYPES = ("I", "H", "D", "W", "M", "Q", "Y", "C", "O")
MAX_NAME_LENGTH = 100  # django-q's Schedule.name
CRON_FIELDS = (5, 6)


def schedule_name(key: str, task: str) -> str:
    """Return the stored name of task ``task`` of plugin ``key``: ``plugin.<key>.<task>``."""
    return f"{TASK_PREFIX}{key}.{task}"


def split_schedule_name(name: str) -> tuple[str, str] | None:
    """Return ``(key, task)`` of a plugin schedule name, or None for any other schedule.

    Keys never contain dots (they are slugs), so the task is everything after the second dot.
    """
    if not name.startswith(TASK_PREFIX):
        return None
    key, dot, task = name[len(TASK_PREFIX) :].partition(".")
    if not key or not dot or not task:
        return None
    return key, task


@dataclass(frozen=True)
class TaskSpec:
    """One task of one plugin, validated: what its stored schedule must hold."""

    key: str
    task: str
    func: str
    schedule_type: str
    minutes: int | None = None
    cron: str | None = None
    repeats: int = -1

    @property
    def name(self) -> str:
        """Return the schedule name ``plugin.<key>.<task>``."""
        return schedule_name(self.key, self.task)

    @property
    def is_member(self) -> bool:
        """Return whether ``func`` names a method of the plugin (no dot) or a function."""
        return "." not in self.func


def parse_scheduled_tasks(key: str, tasks: object) -> list[TaskSpec]:
    """Validate a plugin's ``SCHEDULED_TASKS``; raise MixinImplementationError naming the task."""
    if not isinstance(tasks, Mapping) or not tasks:
        raise MixinImplementationError("SCHEDULED_TASKS not defined", key=key)
    return [_parse_task(key, str(task), definition) for task, definition in tasks.items()]


Fail = Callable[[str], MixinImplementationError]


def _parse_task(key: str, task: str, definition: object) -> TaskSpec:
    def fail(problem: str) -> MixinImplementationError:
        return MixinImplementationError(f"Task '{task}' {problem}", key=key)

    if not isinstance(definition, Mapping):
        raise fail("must be a dict with 'func' and 'schedule'")
    if len(schedule_name(key, task)) > MAX_NAME_LENGTH:
        raise fail(f"gives a schedule name longer than {MAX_NAME_LENGTH} characters")
    if "func" not in definition:
        raise fail("is missing 'func'")
    func = definition["func"]
    if not isinstance(func, str) or not func.strip():
        raise fail("has an empty or non-text 'func'")
    raw_schedule = definition.get("schedule")
    schedule = raw_schedule.strip().upper() if isinstance(raw_schedule, str) else raw_schedule
    if schedule not in SCHEDULE_TYPES:
        choices = ", ".join(SCHEDULE_TYPES)
        raise fail(f"has invalid schedule {raw_schedule!r} (use one of {choices})")
    minutes = _parse_minutes(definition, schedule, fail)
    cron = _parse_cron(definition, schedule, fail)
    repeats = definition.get("repeats", -1)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < -1:
        raise fail(f"has invalid 'repeats' {repeats!r} (-1 for ever, or a count)")
    return TaskSpec(
        key=key,
        task=task,
        func=func.strip(),
        schedule_type=str(schedule),
        minutes=minutes,
        cron=cron,
        repeats=repeats,
    )


def _parse_minutes(definition: Mapping[str, Any], schedule: object, fail: Fail) -> int | None:
    if schedule != "I":
        return None
    if "minutes" not in definition:
        raise fail("is missing 'minutes' for an interval schedule")
    minutes = definition["minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise fail(f"has invalid 'minutes' {minutes!r} (a whole number, at least 1)")
    return minutes


def _parse_cron(definition: Mapping[str, Any], schedule: object, fail: Fail) -> str | None:
    if schedule != "C":
        return None
    if "cron" not in definition:
        raise fail("is missing 'cron' for a cron schedule")
    cron = definition["cron"]
    if not isinstance(cron, str) or len(cron.split()) not in CRON_FIELDS:
        raise fail(f"has invalid 'cron' {cron!r} (five fields, e.g. '0 3 * * *')")
    return " ".join(cron.split())


@dataclass(frozen=True)
class StoredSchedule:
    """What a stored schedule holds that a task spec decides."""

    name: str
    func: str
    args: str
    schedule_type: str
    minutes: int | None
    cron: str | None
    repeats: int


def stored_form(spec: TaskSpec, runner: str) -> StoredSchedule:
    """Return how ``spec`` is stored: every task runs through ``runner(key, task)``."""
    return StoredSchedule(
        name=spec.name,
        func=runner,
        args=f"{spec.key!r}, {spec.task!r}",
        schedule_type=spec.schedule_type,
        minutes=spec.minutes,
        cron=spec.cron,
        repeats=spec.repeats,
    )


def _comparable(schedule: StoredSchedule) -> StoredSchedule:
    # The scheduler counts finite repeats down: only "for ever or not" is the plugin's choice.
    return replace(schedule, repeats=-1 if schedule.repeats == -1 else 0)


@dataclass(frozen=True)
class SyncPlan:
    """Schedules to create, update (by name) and delete (by name)."""

    create: list[TaskSpec] = field(default_factory=list)
    update: list[TaskSpec] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Return whether anything changes."""
        return bool(self.create or self.update or self.delete)


def plan_sync(
    desired: Collection[TaskSpec],
    stored: Collection[StoredSchedule],
    *,
    held_keys: Collection[str],
    runner: str,
) -> SyncPlan:
    """Plan the changes that make the stored plugin schedules match ``desired``.

    ``desired`` holds the tasks of the loaded, active plugins. The schedules of ``held_keys``
    (plugins stored as active but not loaded here: failing, or missing on this node) are
    left alone, so a plugin that fails to load for a moment keeps its tasks. Every other
    plugin schedule that is not desired is deleted: its plugin was deactivated or
    uninstalled, or no longer declares the task. Schedules not named ``plugin.*`` are
    never touched.
    """
    wanted = {spec.name: spec for spec in desired}
    held = set(held_keys)
    plan = SyncPlan()
    seen: set[str] = set()
    for schedule in stored:
        parts = split_schedule_name(schedule.name)
        if parts is None:
            continue
        seen.add(schedule.name)
        spec = wanted.get(schedule.name)
        if spec is None:
            if parts[0] not in held:
                plan.delete.append(schedule.name)
        elif _comparable(stored_form(spec, runner)) != _comparable(schedule):
            plan.update.append(spec)
    plan.create.extend(spec for name, spec in wanted.items() if name not in seen)
    return plan
