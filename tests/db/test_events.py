"""Events are queued per active event plugin, delivered by the worker's function, counted."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from plughost.core.errors import PluginNotFoundError
from plughost.core.registry import Registry
from plughost.db.models import EventDeliveryStats, PluginConfig
from plughost.runtime import holder
from plughost.services import events, plugin_settings, plugins
from plughost.services.registry import Discovery, reload_registry
from plughost.services.tasks import deliver_event
from tests.db.worker_support import clear_queue, queued, queued_calls

pytestmark = pytest.mark.django_db

DELIVER = events.DELIVER_TASK


@pytest.fixture
def event_plugins(worker_registry: Registry) -> None:
    for key in ("sampleevent", "filteredsampleevent", "failingevent"):
        plugins.activate(key)
    clear_queue()


@pytest.mark.usefixtures("event_plugins")
def test_an_event_is_queued_once_per_active_event_plugin() -> None:
    queued_event = events.queue_event(holder.current(), "test.event", {"id": 3})

    assert queued_event.plugins == ["sampleevent", "filteredsampleevent", "failingevent"]
    assert queued_event.enabled
    assert queued_calls(DELIVER) == [
        ("sampleevent", "test.event", {"id": 3}),
        ("filteredsampleevent", "test.event", {"id": 3}),
        ("failingevent", "test.event", {"id": 3}),
    ]
    assert [task["group"] for task in queued()] == [
        "event.sampleevent",
        "event.filteredsampleevent",
        "event.failingevent",
    ]


@pytest.mark.usefixtures("event_plugins")
def test_nothing_is_queued_while_the_events_switch_is_off() -> None:
    plugin_settings.update_setting("plughost", "ENABLE_PLUGINS_EVENTS", False)
    clear_queue()

    queued_event = events.trigger_event("test.event", id=3)

    assert (queued_event.plugins, queued_event.enabled) == ([], False)
    assert queued() == []


@pytest.mark.usefixtures("event_plugins")
def test_event_data_is_queued_as_json_carries_it() -> None:
    when = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)
    data = {"key": "sample", "id": 3, "ratio": 0.5, "on": True, "none": None}

    plain = events.queue_event(holder.current(), "test.event", data)
    other = events.queue_event(
        holder.current(), "test.event", {"when": when, "price": Decimal("1.50"), "keys": ("a",)}
    )

    assert plain.data == data
    assert plain.data is not data  # a copy: the caller's dict may change later
    assert other.data == {"when": str(when), "price": "1.50", "keys": ["a"]}
    assert queued_calls(DELIVER)[-1] == ("failingevent", "test.event", other.data)


def test_a_bad_event_name_is_refused(worker_registry: Registry) -> None:
    for name in ("", "a b", "x/y", "é", "a" * 101):
        with pytest.raises(ValueError, match="Event name"):
            events.queue_event(holder.current(), name, {})


@pytest.mark.usefixtures("event_plugins")
def test_delivery_calls_the_plugin_and_counts() -> None:
    assert deliver_event("sampleevent", "test.event", {"id": 3}) == "delivered"
    assert deliver_event("filteredsampleevent", "other.event", {}) == "skipped: not wanted"
    assert deliver_event("filteredsampleevent", "test.event", {}) == "delivered"

    metadata = PluginConfig.objects.get(key="sampleevent").metadata
    assert metadata["events"] == [{"event": "test.event", "data": {"id": 3}}]
    stats = {s.key: (s.delivered, s.failed, s.last_event) for s in events.list_delivery_stats()}
    assert stats == {
        "filteredsampleevent": (1, 0, "test.event"),
        "sampleevent": (1, 0, "test.event"),
    }


@pytest.mark.usefixtures("event_plugins")
def test_a_failing_plugin_is_counted_and_its_error_kept() -> None:
    with pytest.raises(ValueError, match=r"failingevent cannot handle test\.event"):
        deliver_event("failingevent", "test.event", {})

    stats = EventDeliveryStats.objects.get(key="failingevent")
    assert (stats.delivered, stats.failed) == (0, 1)
    assert stats.last_error == "ValueError: failingevent cannot handle test.event"
    assert stats.last_failed is not None


@pytest.mark.usefixtures("event_plugins")
def test_a_plugin_deactivated_after_queueing_is_skipped() -> None:
    plugins.deactivate("sampleevent")

    assert deliver_event("sampleevent", "test.event", {}) == (
        "skipped: plugin 'sampleevent' is not active"
    )
    assert not EventDeliveryStats.objects.filter(key="sampleevent").exists()


@pytest.mark.usefixtures("event_plugins")
def test_an_active_plugin_that_failed_to_load_counts_a_failure(plugin_folder: Path) -> None:
    plugins.activate("slowevent")
    (plugin_folder / "FAIL_TO_LOAD").touch()
    reload_registry(Discovery.REUSE)

    with pytest.raises(PluginNotFoundError, match="'slowevent' is active but not loaded"):
        deliver_event("slowevent", "test.event", {})

    stats = EventDeliveryStats.objects.get(key="slowevent")
    assert (stats.delivered, stats.failed) == (0, 1)


@pytest.mark.usefixtures("event_plugins")
def test_the_host_emits_its_own_state_changes() -> None:
    plugins.activate("schedule")
    plugins.deactivate("schedule")
    plugin_settings.update_setting("schedule", "T_OR_F", True)
    reload_registry(Discovery.REUSE)

    sent = [(event, data) for key, event, data in queued_calls(DELIVER) if key == "sampleevent"]
    assert sent == [
        ("plugin.activated", {"key": "schedule"}),
        ("plugin.deactivated", {"key": "schedule"}),
        ("plugin_setting.saved", {"plugin": "schedule", "setting": "T_OR_F"}),
        ("plugins_loaded", {}),
    ]
