"""InvenTree's plugin import surface, so that plugins written for InvenTree load unchanged.

Everything here is plughost's own object under InvenTree's name, not a copy::

    from plugin import InvenTreePlugin, registry
    from plugin.mixins import SettingsMixin, UrlsMixin
    from plugin.models import PluginConfig

``InvenTreePlugin`` and the errors import without Django. ``registry`` (and
``plugin.models``) need the Django project set up, as in InvenTree; ``registry`` is
therefore imported on first use (PEP 562), so that ``from plugin import InvenTreePlugin``
works in a plain Python process too. This package is an entry point like the CLI: it may
import ``plughost``; ``plughost`` never imports it (an import-linter contract).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from plughost.core.errors import MixinImplementationError, MixinNotImplementedError
from plughost.core.plugin import InvenTreePlugin

if TYPE_CHECKING:
    from plugin.registry import PluginRegistry

    registry: PluginRegistry

__all__ = ["InvenTreePlugin", "MixinImplementationError", "MixinNotImplementedError", "registry"]


def __getattr__(name: str) -> object:
    """Import ``registry`` on first use; it reads the database through Django."""
    if name == "registry":
        return importlib.import_module("plugin.registry").registry
    raise AttributeError(f"module 'plugin' has no attribute {name!r}")
