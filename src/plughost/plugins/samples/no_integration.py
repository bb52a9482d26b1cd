"""A plugin with no mixins at all (InvenTree's ``nointegrationplugin``)."""

from __future__ import annotations

from plughost.core.plugin import InvenTreePlugin


class NoIntegrationPlugin(InvenTreePlugin):
    """Declares nothing beyond its identity."""

    NAME = "NoIntegrationPlugin"
