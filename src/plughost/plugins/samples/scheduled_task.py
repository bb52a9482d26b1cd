"""Periodic tasks (InvenTree's ``schedule`` sample): a member task and two module functions."""

from __future__ import annotations

import logging

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import ScheduleMixin, SettingsMixin
from plughost.plugins.samples.metadata import record_run

logger = logging.getLogger(__name__)


def print_hello() -> str:
    """Log and return a greeting (a dotted task function, called directly)."""
    logger.info("Hello")
    return "Hello"


def print_world() -> str:
    """Log and return the other half of the greeting."""
    logger.info("World")
    return "World"


class ScheduledTasksPlugin(ScheduleMixin, SettingsMixin, InvenTreePlugin):
    """A plugin which runs tasks on a schedule; the member task counts its runs in metadata."""

    NAME = "ScheduledTasksPlugin"
    SLUG = "schedule"
    TITLE = "Scheduled Tasks"
    DESCRIPTION = "A sample plugin which provides support for scheduled tasks"
    VERSION = "0.2.0"

    SCHEDULED_TASKS = {
        "member": {"func": "member_func", "schedule": "I", "minutes": 30},
        "hello": {
            "func": "plughost.plugins.samples.scheduled_task.print_hello",
            "schedule": "I",
            "minutes": 45,
        },
        "world": {"func": "plughost.plugins.samples.scheduled_task.print_world", "schedule": "H"},
    }

    SETTINGS = {
        "T_OR_F": {
            "name": "True or False",
            "description": "Print true or false when running the periodic task",
            "validator": bool,
            "default": False,
        },
    }

    def member_func(self, *args: object, **kwargs: object) -> object:
        """Log the T_OR_F setting, count the run in metadata, return the setting."""
        del args, kwargs
        t_or_f = self.get_setting("T_OR_F")
        self.logger.info("Called member_func - value is %s", t_or_f)
        record_run(self, "member")
        return t_or_f
