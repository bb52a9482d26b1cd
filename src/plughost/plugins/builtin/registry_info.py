"""A health endpoint for load balancers and operators: ``/plugin/plughostinfo/health/``."""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from plughost import __version__
from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import UrlsMixin


class PluginInfoPlugin(UrlsMixin, InvenTreePlugin):
    """Answers whether the host's plugin URLs are being served."""

    NAME = "PlughostInfo"
    SLUG = "plughostinfo"
    TITLE = "Plughost health"
    DESCRIPTION = "Serves /plugin/plughostinfo/health/ to show that plugin URLs are mounted"
    AUTHOR = "Plughost contributors"
    VERSION = __version__

    def setup_urls(self) -> Sequence[object]:
        """Return the health URL."""
        return [path("health/", self.view_health, name="health")]

    def view_health(self, request: HttpRequest) -> HttpResponse:
        """Answer ``{"status": "ok", "key": ..., "version": ...}``."""
        del request
        return JsonResponse({"status": "ok", "key": self.slug, "version": self.version})
