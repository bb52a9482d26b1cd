"""Receives only ``test.event`` (InvenTree's ``filteredsampleevent``)."""

from __future__ import annotations

from typing import Any

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import EventMixin
from plughost.plugins.samples.metadata import record_event

WANTED_EVENT = "test.event"


class FilteredEventPluginSample(EventMixin, InvenTreePlugin):
    """A sample plugin which responds to one event only."""

    NAME = "FilteredEventPlugin"
    SLUG = "filteredsampleevent"
    TITLE = "Filtered Triggered Events"

    def wants_process_event(self, event: str) -> bool:
        """Return whether ``event`` is ``test.event``."""
        return event == WANTED_EVENT

    def process_event(self, event: str, *args: object, **kwargs: Any) -> None:
        """Log the event and record it in this plugin's metadata."""
        self.logger.info("Processing filtered event: '%s'", event)
        record_event(self, event, kwargs)
