"""Bodies of the event and task endpoints (Plughost's; InvenTree 198 has neither)."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from plughost.api.cleaning import StrictJsonTypes
from plughost.services.events import MAX_EVENT_NAME_LENGTH, is_valid_event_name

MAX_EVENT_DATA_BYTES = 64 * 1024


class EventTriggerSerializer(StrictJsonTypes, serializers.Serializer[Any]):
    """An event to send to the active event plugins."""

    event = serializers.RegexField(
        r"^[A-Za-z0-9_.]+$",
        max_length=MAX_EVENT_NAME_LENGTH,
        error_messages={"invalid": "Use only letters, digits, '_' and '.' in an event name."},
        help_text="Event name: letters, digits, '_' and '.', e.g. 'test.event'",
    )
    # The wire name; DRF's metaclass moves declared fields off the class, so ``.data`` stays.
    data = serializers.JSONField(  # type: ignore[assignment]
        required=False,
        default=dict,
        help_text="JSON object passed to process_event() as keyword arguments",
    )

    def validate_event(self, value: str) -> str:
        """Refuse names other than ``\\w`` characters and dots."""
        if not is_valid_event_name(value):
            raise serializers.ValidationError(
                "Use only letters, digits, '_' and '.' in an event name."
            )
        return value

    def validate_data(self, value: Any) -> dict[str, Any]:
        """Require a JSON object of at most 64 KiB, without the key ``event``."""
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if "event" in value:
            raise serializers.ValidationError(
                "The key 'event' is reserved: process_event() receives the name as 'event'."
            )
        if len(json.dumps(value)) > MAX_EVENT_DATA_BYTES:
            raise serializers.ValidationError(
                f"Must be at most {MAX_EVENT_DATA_BYTES} bytes of JSON."
            )
        return value


class QueuedEventSerializer(serializers.Serializer[Any]):
    """What was queued: the event, its data, and the plugins it was queued for."""

    event = serializers.CharField()
    data = serializers.JSONField()  # type: ignore[assignment]  # see EventTriggerSerializer
    plugins = serializers.ListField(
        child=serializers.CharField(),
        help_text="Keys of the active event plugins the event was queued for; each decides "
        "with wants_process_event() in the worker",
    )
    enabled = serializers.BooleanField(
        help_text="False when the host switch ENABLE_PLUGINS_EVENTS is off (nothing queued)"
    )


class EventDeliveryStatsSerializer(serializers.Serializer[Any]):
    """How often events reached one plugin and how often its handler failed."""

    key = serializers.CharField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    last_event = serializers.CharField()
    last_delivered = serializers.DateTimeField(allow_null=True)
    last_failed = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()


class LastRunSerializer(serializers.Serializer[Any]):
    """The latest recorded run of a plugin task."""

    started = serializers.DateTimeField(allow_null=True)
    stopped = serializers.DateTimeField(allow_null=True)
    duration = serializers.FloatField(allow_null=True, help_text="Seconds")
    success = serializers.BooleanField()
    result = serializers.JSONField(allow_null=True, help_text="What the task returned")
    error = serializers.CharField(allow_null=True, help_text="The error and traceback")


class PluginTaskSerializer(serializers.Serializer[Any]):
    """One scheduled task of a plugin, with its latest run."""

    name = serializers.CharField(help_text="plugin.<key>.<task>")
    key = serializers.CharField(help_text="Plugin key")
    task = serializers.CharField()
    func = serializers.CharField(
        allow_null=True, help_text="The declared function (null while the plugin is not loaded)"
    )
    schedule_type = serializers.CharField(help_text="I, H, D, W, M, Q, Y, C or O")
    minutes = serializers.IntegerField(allow_null=True)
    cron = serializers.CharField(allow_null=True)
    repeats = serializers.IntegerField(help_text="-1: for ever")
    next_run = serializers.DateTimeField(allow_null=True)
    loaded = serializers.BooleanField(help_text="The plugin is loaded in this process")
    runs = serializers.IntegerField(help_text="Recorded runs (the last 50 successes are kept)")
    failures = serializers.IntegerField(help_text="Recorded failed runs")
    last_run = LastRunSerializer(allow_null=True)
