"""Keep django-q's schedules in step with the plugins' ``SCHEDULED_TASKS``, and report runs.

Each task of an active plugin is one django-q ``Schedule`` named ``plugin.<key>.<task>`` that
calls ``plughost.services.tasks.run_plugin_task(key, task)``; the worker's scheduler locks due
schedules in the database, so each run happens once across every process and node.

``sync_schedules`` runs after every registry build. It creates and updates the schedules of
loaded plugins and deletes those of plugins that were deactivated or uninstalled. A plugin
stored as active that failed to load (here, now) keeps its schedules: unlike InvenTree, a
plugin's tasks do not vanish because it failed to load for a moment. Builds of an older
version than the stored one do not sync: the process building the newer one will.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import croniter
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django_q.models import Schedule, Task

from plughost.core.errors import MixinImplementationError
from plughost.core.mixins import ScheduleMixin
from plughost.core.registry import Registry
from plughost.core.schedules import (
    TASK_PREFIX,
    StoredSchedule,
    SyncPlan,
    TaskSpec,
    parse_scheduled_tasks,
    plan_sync,
    split_schedule_name,
    stored_form,
)
from plughost.db.models import PluginConfig, RegistryState
from plughost.services.state import STATE_ID

logger = logging.getLogger(__name__)

RUNNER = "plughost.services.tasks.run_plugin_task"
MAX_TEXT_LENGTH = 2000


def desired_tasks(registry: Registry) -> list[TaskSpec]:
    """Return the tasks of the loaded plugins whose schedule mixin is enabled."""
    specs: list[TaskSpec] = []
    for plugin in registry.with_mixin("schedule"):
        if not isinstance(plugin, ScheduleMixin):
            continue
        try:
            tasks = parse_scheduled_tasks(plugin.slug, plugin.get_scheduled_tasks())
        except MixinImplementationError:
            # Checked when the plugin loaded; a plugin whose tasks change later is skipped.
            logger.exception("plugin %s: SCHEDULED_TASKS became invalid", plugin.slug)
            continue
        for spec in tasks:
            if spec.cron is not None and not croniter.is_valid(spec.cron):
                logger.error(
                    "plugin %s: task %s has an invalid cron %r; not scheduled",
                    spec.key,
                    spec.task,
                    spec.cron,
                )
                continue
            specs.append(spec)
    return specs


_last_synced: tuple[tuple[TaskSpec, ...], frozenset[str]] | None = None
"""What this process last synced: the desired tasks, and the active plugins not loaded here
(whose stored tasks a sync keeps): together they decide what a sync does."""


def sync_schedules_if_changed(
    registry: Registry, active_keys: Iterable[str], *, resync: bool
) -> SyncPlan | None:
    """Sync the schedules unless nothing they depend on changed since this process synced.

    Every rebuild of every process ends here; most (an activation of a plugin without
    tasks, a reload) change no task, and the sync is a locked transaction of four queries.
    ``resync`` syncs anyway: after a rediscovery (stored schedules may belong to plugins
    that are gone).
    """
    global _last_synced  # noqa: PLW0603 - one process-wide memo, replaced whole
    desired = desired_tasks(registry)
    key = (tuple(desired), frozenset(active_keys) - set(registry.instances))
    if not resync and key == _last_synced:
        return None
    plan = sync_schedules(registry, desired=desired)
    if plan is not None:  # None: a newer version came in; its rebuild syncs
        _last_synced = key
    return plan


def forget_last_sync() -> None:
    """Sync at the next rebuild whatever it changed (tests that reset the registry)."""
    global _last_synced  # noqa: PLW0603
    _last_synced = None


def sync_schedules(registry: Registry, *, desired: list[TaskSpec] | None = None) -> SyncPlan | None:
    """Make the stored plugin schedules match ``registry``; return what changed.

    Returns None, changing nothing, when the stored registry version has moved past the
    version ``registry`` was built from.
    """
    desired = desired_tasks(registry) if desired is None else desired
    with transaction.atomic():
        # Serialise syncs of all processes (PostgreSQL; SQLite writers are serial anyway).
        # One locked read of the version (the row exists: the version was bumped to build).
        locked = RegistryState.objects.select_for_update().filter(pk=STATE_ID)
        if (locked.values_list("version", flat=True).first() or 0) != registry.version:
            return None
        active = set(PluginConfig.objects.filter(active=True).values_list("key", flat=True))
        held = active - set(registry.instances)
        rows = list(Schedule.objects.filter(name__startswith=TASK_PREFIX).order_by("id"))
        stored = _drop_duplicates(rows)
        plan = plan_sync(
            desired,
            [_stored(row) for row in stored.values()],
            held_keys=held,
            runner=RUNNER,
        )
        _apply(plan, stored)
    if plan:
        logger.info(
            "plugin schedules: %d created, %d updated, %d deleted",
            len(plan.create),
            len(plan.update),
            len(plan.delete),
        )
    return plan


def _drop_duplicates(rows: Iterable[Schedule]) -> dict[str, Schedule]:
    """Keep the first schedule of each name; delete the others (each would run the task)."""
    kept: dict[str, Schedule] = {}
    extra: list[int] = []
    for row in rows:
        if row.name in kept:
            extra.append(row.pk)
        else:
            kept[str(row.name)] = row
    if extra:
        Schedule.objects.filter(pk__in=extra).delete()
    return kept


def _stored(row: Schedule) -> StoredSchedule:
    return StoredSchedule(
        name=str(row.name),
        func=row.func,
        args=row.args or "",
        schedule_type=row.schedule_type,
        minutes=row.minutes,
        cron=row.cron,
        repeats=row.repeats,
    )


def _apply(plan: SyncPlan, stored: dict[str, Schedule]) -> None:
    if plan.delete:
        Schedule.objects.filter(name__in=plan.delete).delete()
    for spec in plan.update:
        row = stored[spec.name]
        form = stored_form(spec, RUNNER)
        row.func, row.args = form.func, form.args
        row.schedule_type, row.minutes, row.cron = form.schedule_type, form.minutes, form.cron
        if (row.repeats == -1) != (form.repeats == -1):
            row.repeats = form.repeats
        row.save()
    for spec in plan.create:
        form = stored_form(spec, RUNNER)
        # A new schedule is due at once (a cron schedule at its next time, django-q's rule).
        Schedule.objects.create(
            name=form.name,
            func=form.func,
            args=form.args,
            schedule_type=form.schedule_type,
            minutes=form.minutes,
            cron=form.cron,
            repeats=form.repeats,
        )


@dataclass(frozen=True)
class LastRun:
    """The latest recorded run of a schedule."""

    started: datetime | None
    stopped: datetime | None
    success: bool
    result: Any
    error: str | None

    @property
    def duration(self) -> float | None:
        """Return the run's length in seconds."""
        if self.started is None or self.stopped is None:
            return None
        return round((self.stopped - self.started).total_seconds(), 3)


@dataclass(frozen=True)
class PluginTask:
    """One plugin task as ``GET /api/plugins/tasks/`` shows it."""

    name: str
    key: str
    task: str
    func: str | None
    schedule_type: str
    minutes: int | None
    cron: str | None
    repeats: int
    next_run: datetime | None
    loaded: bool
    runs: int
    failures: int
    last_run: LastRun | None


def list_plugin_tasks(registry: Registry, *, key: str | None = None) -> list[PluginTask]:
    """Return every stored plugin task (optionally of plugin ``key``) with its latest run."""
    latest = Task.objects.filter(group=OuterRef("name")).order_by("-started").values("id")[:1]
    schedules = Schedule.objects.filter(name__startswith=TASK_PREFIX)
    if key is not None:
        schedules = schedules.filter(name__startswith=f"{TASK_PREFIX}{key}.")
    rows = list(schedules.annotate(latest_task=Subquery(latest)).order_by("name", "id"))
    names = [str(row.name) for row in rows]
    tasks = {task.id: task for task in Task.objects.filter(id__in=[r.latest_task for r in rows])}
    counts = {
        group: (runs, failures)
        for group, runs, failures in Task.objects.filter(group__in=names)
        .values("group")
        .annotate(runs=Count("id"), failures=Count("id", filter=Q(success=False)))
        .values_list("group", "runs", "failures")
    }
    found: list[PluginTask] = []
    for row in rows:
        parts = split_schedule_name(str(row.name))
        if parts is None:
            continue
        plugin_key, task_name = parts
        runs, failures = counts.get(str(row.name), (0, 0))
        found.append(
            PluginTask(
                name=str(row.name),
                key=plugin_key,
                task=task_name,
                func=_declared_func(registry, plugin_key, task_name),
                schedule_type=row.schedule_type,
                minutes=row.minutes,
                cron=row.cron,
                repeats=row.repeats,
                next_run=row.next_run,
                loaded=registry.is_loaded(plugin_key),
                runs=runs,
                failures=failures,
                last_run=_last_run(tasks.get(row.latest_task)),
            )
        )
    return found


def _declared_func(registry: Registry, key: str, task: str) -> str | None:
    plugin = registry.find_plugin(key)
    if not isinstance(plugin, ScheduleMixin):
        return None
    definition = plugin.get_scheduled_tasks().get(task)
    func = definition.get("func") if definition else None
    return func if isinstance(func, str) else None


def _last_run(task: Task | None) -> LastRun | None:
    if task is None:
        return None
    if task.success:
        return LastRun(task.started, task.stopped, True, _result(task.result), None)
    return LastRun(task.started, task.stopped, False, None, str(task.result)[:MAX_TEXT_LENGTH])


def _result(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:MAX_TEXT_LENGTH]
