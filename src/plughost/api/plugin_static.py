"""Serve the ``static/`` folder of each loaded plugin under ``/static/plugins/<key>/``.

This is where ``plugin.plugin_static_file("x.js")`` points (InvenTree collects the same
folders to the same URLs with ``collectstatic``). Files are public, as static files are;
only loaded plugins' files are served, and paths cannot leave the folder.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.views.static import serve

from plughost.services.registry import current_registry


def plugin_static_file(request: HttpRequest, key: str, path: str) -> HttpResponseBase:
    """Return one file of plugin ``key``'s ``static/`` folder; 404 when there is none."""
    plugin = current_registry().find_plugin(key)
    if plugin is None:
        raise Http404("No such plugin")
    root = plugin.path() / "static"
    if not root.is_dir():
        raise Http404("The plugin has no static files")
    # InvenTree's UI entry points name a function after the file ("panel.js:render").
    return serve(request, path.split(":", 1)[0], document_root=str(root))


urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^static/plugins/(?P<key>[^/]+)/(?P<path>.+)$",
        plugin_static_file,
        name="plugin-static",
    ),
]
