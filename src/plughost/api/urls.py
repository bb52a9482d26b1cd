"""Routes under ``/api/``: the plugin API, users and server information.

Fixed segments (``install/``, ``reload/``, ``status/``, ``settings/``) come before
``<plugin>/``; plugin keys that would collide with them are refused at load.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from plughost.api import info, not_found, users
from plughost.api.plugins import plugin_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    path("", info.InfoView.as_view(), name="api-info"),
    path("user/", include(users.urlpatterns)),
    path("plugins/", include(plugin_urlpatterns)),
    # Anything else under /api/ is a JSON 404, for every method.
    re_path(r"^.*$", not_found.endpoint_not_found, name="api-not-found"),
]
