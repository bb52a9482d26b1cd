"""Routes under ``/api/``: the plugin API, users and server information.

Fixed segments (``install/``, ``reload/``, ``status/``, ``settings/``) come before
``<plugin>/``; plugin keys that would collide with them are refused at load.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from plughost.api import floor, info, not_found, users
from plughost.api.capability_views import ActionPluginView
from plughost.api.plugins import plugin_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    path("", info.InfoView.as_view(), name="api-info"),
    path("user/", include(users.urlpatterns)),
    path("plugins/", include(plugin_urlpatterns)),
    path("action/", ActionPluginView.as_view(), name="api-action-plugin"),
    *floor.floor_urlpatterns(),  # only with PLUGHOST_BENCH_FLOOR=1 (the benchmark's yardstick)
    # Anything else under /api/ is a JSON 404, for every method; line breaks included
    # (``.`` stops at them, and Django's HTML 404 would answer).
    re_path(r"^[\s\S]*$", not_found.endpoint_not_found, name="api-not-found"),
]
