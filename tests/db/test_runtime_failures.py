"""Failures of loaded plugins while the server runs are counted per plugin and stage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plughost.db.models import RuntimeFailure
from plughost.services import failures

pytestmark = pytest.mark.django_db


def test_failures_are_counted_per_plugin_and_stage_with_the_latest_message() -> None:
    failures.record_runtime_failure("alpha", failures.EVENT, "first")
    failures.record_runtime_failure("alpha", failures.EVENT, "second")
    failures.record_runtime_failure("alpha", failures.URL, "ValueError in its view of /x")

    found = {(f["name"], f["stage"]): f for f in failures.recent_runtime_failures()}

    assert set(found) == {("alpha", "event"), ("alpha", "url")}
    assert (found["alpha", "event"]["count"], found["alpha", "event"]["message"]) == (2, "second")


def test_only_recent_failures_are_shown() -> None:
    failures.record_runtime_failure("old", failures.EVENT, "long ago")
    RuntimeFailure.objects.filter(key="old").update(
        last=timezone.now() - failures.RECENT - timedelta(minutes=1)
    )
    failures.record_runtime_failure("new", failures.EVENT, "just now")

    assert [f["name"] for f in failures.recent_runtime_failures()] == ["new"]


def test_a_long_message_is_cut() -> None:
    failures.record_runtime_failure("long", failures.EVENT, "x" * 10_000)

    (found,) = failures.recent_runtime_failures()
    assert len(found["message"]) == failures.MAX_MESSAGE_LENGTH
