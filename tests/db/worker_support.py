"""Helpers of the worker tests: where the fixture plugins are, what the queue holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django_q.models import OrmQ
from django_q.signing import SignedPackage

FIXTURE_PLUGINS = Path(__file__).parents[1] / "fixtures" / "worker_plugins"


def queued() -> list[dict[str, Any]]:
    """Return the queued task packages, oldest first."""
    return [SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("id")]


def queued_calls(func: str) -> list[tuple[Any, ...]]:
    """Return the arguments of each queued call of ``func``."""
    return [tuple(task["args"]) for task in queued() if task["func"] == func]


def clear_queue() -> None:
    """Forget every queued task."""
    OrmQ.objects.all().delete()
