"""A plugin that has UrlsMixin but declares no URLs (InvenTree's ``wrongintegrationplugin``)."""

from __future__ import annotations

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import UrlsMixin


class WrongIntegrationPlugin(UrlsMixin, InvenTreePlugin):
    """Lists the ``urls`` mixin, which stays disabled because URLS is empty."""

    NAME = "WrongIntegrationPlugin"
