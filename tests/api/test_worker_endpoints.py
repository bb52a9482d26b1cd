"""``/api/plugins/events/`` (staff) and ``/api/plugins/tasks/`` (superusers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Task

from plughost.core.registry import Registry
from plughost.db.models import EventDeliveryStats
from plughost.services import plugin_settings, plugins
from tests.conftest import ApiClientFactory

EVENTS = "/api/plugins/events/"
TASKS = "/api/plugins/tasks/"


@pytest.fixture
def event_plugins(registry: Registry) -> None:
    plugins.activate("sampleevent")
    plugins.activate("filteredsampleevent")
    OrmQ.objects.all().delete()


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("user", 403), ("staff", 202), ("superuser", 202)]
)
@pytest.mark.usefixtures("registry")
def test_posting_events_needs_staff(api_client: ApiClientFactory, role: Any, status: int) -> None:
    response = api_client(role).post(EVENTS, {"event": "test.event"}, format="json")
    assert response.status_code == status


@pytest.mark.usefixtures("event_plugins")
def test_an_event_is_queued_and_the_answer_says_for_whom(api_client: ApiClientFactory) -> None:
    response = api_client("staff").post(
        EVENTS, {"event": "test.event", "data": {"id": 7, "tags": ["a"]}}, format="json"
    )

    assert response.status_code == 202
    assert response.json() == {
        "event": "test.event",
        "data": {"id": 7, "tags": ["a"]},
        "plugins": ["sampleevent", "filteredsampleevent"],
        "enabled": True,
    }
    assert OrmQ.objects.count() == 2


@pytest.mark.usefixtures("event_plugins")
def test_data_defaults_to_an_empty_object(api_client: ApiClientFactory) -> None:
    response = api_client("staff").post(EVENTS, {"event": "x"}, format="json")
    assert response.status_code == 202
    assert response.json()["data"] == {}


@pytest.mark.usefixtures("event_plugins")
def test_with_the_switch_off_nothing_is_queued(api_client: ApiClientFactory) -> None:
    plugin_settings.update_setting("plughost", "ENABLE_PLUGINS_EVENTS", False)
    OrmQ.objects.all().delete()

    response = api_client("staff").post(EVENTS, {"event": "test.event"}, format="json")

    assert response.status_code == 202
    assert response.json()["plugins"] == []
    assert response.json()["enabled"] is False
    assert OrmQ.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"event": ["This field is required."]}),
        ({"event": ""}, {"event": ["This field may not be blank."]}),
        (
            {"event": "no spaces"},
            {"event": ["Use only letters, digits, '_' and '.' in an event name."]},
        ),
        (
            {"event": "a/b"},
            {"event": ["Use only letters, digits, '_' and '.' in an event name."]},
        ),
        (
            {"event": "e" * 101},
            {"event": ["Ensure this field has no more than 100 characters."]},
        ),
        ({"event": "e", "data": [1]}, {"data": ["Must be a JSON object."]}),
        ({"event": "e", "data": "text"}, {"data": ["Must be a JSON object."]}),
        ({"event": "e", "data": None}, {"data": ["This field may not be null."]}),
        (
            {"event": "e", "data": {"event": 1}},
            {
                "data": [
                    "The key 'event' is reserved: process_event() receives the name as 'event'."
                ]
            },
        ),
        (
            {"event": "e", "data": {"big": "x" * 70_000}},
            {"data": ["Must be at most 65536 bytes of JSON."]},
        ),
    ],
)
@pytest.mark.usefixtures("event_plugins")
def test_bad_events_are_400(
    api_client: ApiClientFactory, body: dict[str, Any], errors: dict[str, Any]
) -> None:
    response = api_client("staff").post(EVENTS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert OrmQ.objects.count() == 0


@pytest.mark.usefixtures("registry")
def test_delivery_counts_are_listed_for_staff(api_client: ApiClientFactory) -> None:
    EventDeliveryStats.objects.create(key="sampleevent", delivered=3, last_event="test.event")
    EventDeliveryStats.objects.create(key="failingevent", failed=1, last_error="ValueError: x")

    assert api_client("user").get(EVENTS).status_code == 403
    response = api_client("staff").get(EVENTS, {"limit": 1})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"] == [
        {
            "key": "failingevent",
            "delivered": 0,
            "failed": 1,
            "last_event": "",
            "last_delivered": None,
            "last_failed": None,
            "last_error": "ValueError: x",
        }
    ]


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("user", 403), ("staff", 403), ("superuser", 200)]
)
@pytest.mark.usefixtures("registry")
def test_tasks_are_for_superusers(api_client: ApiClientFactory, role: Any, status: int) -> None:
    assert api_client(role).get(TASKS).status_code == status


@pytest.mark.usefixtures("registry")
def test_tasks_list_runs_and_the_latest_result(api_client: ApiClientFactory) -> None:
    plugins.activate("schedule")
    start = timezone.now() - timedelta(minutes=5)
    for number, (success, result) in enumerate([(True, "Hello"), (False, "boom : Traceback")]):
        Task.objects.create(
            id=f"task{number}",
            name=f"task {number}",
            func="plughost.services.tasks.run_plugin_task",
            group="plugin.schedule.hello",
            started=start + timedelta(minutes=number),
            stopped=start + timedelta(minutes=number, seconds=1.5),
            success=success,
            result=result,
        )

    response = api_client("superuser").get(TASKS, {"plugin": "schedule", "limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    hello = body["results"][0]
    assert {k: v for k, v in hello.items() if k != "next_run"} == {
        "name": "plugin.schedule.hello",
        "key": "schedule",
        "task": "hello",
        "func": "plughost.plugins.samples.scheduled_task.print_hello",
        "schedule_type": "I",
        "minutes": 45,
        "cron": None,
        "repeats": -1,
        "loaded": True,
        "runs": 2,
        "failures": 1,
        "last_run": {
            "started": (start + timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
            "stopped": (start + timedelta(minutes=1, seconds=1.5))
            .isoformat()
            .replace("+00:00", "Z"),
            "duration": 1.5,
            "success": False,
            "result": None,
            "error": "boom : Traceback",
        },
    }
    assert body["results"][1]["name"] == "plugin.schedule.member"
    assert body["results"][1]["last_run"] is None


@pytest.mark.usefixtures("registry")
def test_tasks_list_is_empty_without_schedule_plugins(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").get(TASKS)
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
