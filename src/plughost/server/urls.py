"""The server's URL map: the InvenTree-compatible API, its schema and its docs."""

from __future__ import annotations

from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # Before the API include, whose catch-all answers 404 for unknown /api/ paths.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("plughost.api.urls")),
    # Plugin URLs (`/plugin/<key>/...`), resolved per request against the current registry.
    path("", include("plughost.api.plugin_urls")),
    # Plugins' own static files (`/static/plugins/<key>/...`), before the generic route.
    path("", include("plughost.api.plugin_static")),
    # The Swagger UI's own files, from drf_spectacular_sidecar; gunicorn has no
    # static file server and these are few and small.
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
]
