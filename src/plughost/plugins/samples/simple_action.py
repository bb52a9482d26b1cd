"""InvenTree's ``simpleaction`` sample: answers ``POST /api/action/`` for the action ``simple``."""

from __future__ import annotations

import logging

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import ActionMixin

logger = logging.getLogger("inventree")


class SimpleActionPlugin(ActionMixin, InvenTreePlugin):
    """An extremely simple action plugin, to show what ActionMixin does."""

    NAME = "SimpleActionPlugin"
    SLUG = "simpleaction"
    ACTION_NAME = "simple"

    def perform_action(self, user: object = None, data: object = None) -> None:
        """Log that the action ran."""
        logger.info("Action plugin in action! (data: %r)", data)

    def get_info(self, user: object = None, data: object = None) -> object:
        """Greet the user who asked."""
        return {"user": getattr(user, "username", None), "hello": "world"}

    def get_result(self, user: object = None, data: object = None) -> bool:
        """Always succeed."""
        return True
