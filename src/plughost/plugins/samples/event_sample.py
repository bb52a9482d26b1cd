"""Receives every event (InvenTree's ``sampleevent``) and keeps the last ones in metadata."""

from __future__ import annotations

from typing import Any

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import EventMixin
from plughost.plugins.samples.metadata import record_event


class EventPluginSample(EventMixin, InvenTreePlugin):
    """A sample plugin which provides supports for triggered events."""

    NAME = "EventPlugin"
    SLUG = "sampleevent"
    TITLE = "Triggered Events"

    def process_event(self, event: str, *args: object, **kwargs: Any) -> None:
        """Log the event and record it in this plugin's metadata."""
        self.logger.info("Processing triggered event: '%s' args=%r kwargs=%r", event, args, kwargs)
        record_event(self, event, kwargs)
