"""Serve the URLs of loaded ``UrlsMixin`` plugins under ``/plugin/<key>/``.

Django's root URLconf is never patched: one pattern catches ``/plugin/<key>/<rest>`` and
resolves ``rest`` against the plugin's own patterns in the current registry snapshot. A
resolver is built once per snapshot and key, so activating, deactivating or reloading a
plugin makes its URLs appear or disappear at once, with no restart and no URL cache to clear.

Requests reach the plugin's view as Django requests: the session and auth middleware have
run, so ``request.user`` is the session user. An ``Authorization: Token <key>`` header is
also honoured (a bad token is a 401, as in the API). CSRF is enforced as Django would for
the plugin's view, except for token-authenticated requests, which carry no cookie.

The builtin ``plughost`` plugin's ``ENABLE_PLUGINS_URL`` setting switches all plugin URLs
off (404) without deactivating anything.

A plugin's view that raises is the plugin's bug, not the host's: it is logged with the
plugin's key and answered 502 with a JSON body naming the plugin (as every other call of
plugin code from a request is, ``PluginCallError``); its ``Http404`` and ``PermissionDenied``
are answered 404 and 403 as Django would. The error text stays in the log: it may hold
what the plugin should not show.

Known limit: plugin URL names are not registered with Django, so ``reverse("plugin:...")``
does not find them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import URLPattern, URLResolver, re_path
from django.urls.exceptions import NoReverseMatch, Resolver404
from django.urls.resolvers import RegexPattern
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from plughost.api.authentication import CachedTokenAuthentication
from plughost.core.mixins import SettingsMixin, UrlsMixin
from plughost.core.registry import Registry
from plughost.services import failures
from plughost.services.registry import current_registry

logger = logging.getLogger(__name__)

HOST_PLUGIN_KEY = "plughost"
URLS_SWITCH = "ENABLE_PLUGINS_URL"


class _ResolverCache:
    """URL resolvers of one registry snapshot; a new snapshot empties the cache.

    Keyed by the snapshot object itself, not its version number: a version can repeat (a
    test resets the holder, a failed transaction rolls the counter back), an object cannot.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registry: Registry | None = None
        self._resolvers: dict[str, URLResolver] = {}

    def get(self, registry: Registry, plugin: UrlsMixin) -> URLResolver:
        """Return the resolver of ``plugin``'s URLs in ``registry``, building it once."""
        with self._lock:
            if self._registry is not registry:
                self._registry = registry
                self._resolvers = {}
            resolver = self._resolvers.get(plugin.slug)
            if resolver is None:
                patterns = cast(list[URLPattern | URLResolver], list(plugin.urls or ()))
                resolver = URLResolver(RegexPattern(r"^"), patterns)
                self._resolvers[plugin.slug] = resolver
            return resolver


_resolvers = _ResolverCache()


def reverse_plugin_url(registry: Registry, key: str, name: str) -> str | None:
    """Return the path of the URL named ``name`` (InvenTree's ``plugin:<key>:<name>`` also
    accepted) of loaded plugin ``key``, or None when it has no such URL."""
    plugin = registry.find_plugin(key)
    if not isinstance(plugin, UrlsMixin) or not plugin.urls:
        return None
    name = name.removeprefix(plugin.internal_name)
    try:
        relative = _resolvers.get(registry, plugin).reverse(name)
    except NoReverseMatch:
        return None
    return f"/{plugin.base_url}{relative}"


def _not_found() -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)


def is_plugin_urls_enabled(registry: Registry) -> bool:
    """Return the host switch ``ENABLE_PLUGINS_URL`` (on when the ``plughost`` plugin is absent)."""
    host_plugin = registry.find_plugin(HOST_PLUGIN_KEY)
    if not isinstance(host_plugin, SettingsMixin):
        return True
    value = host_plugin.get_setting(URLS_SWITCH)
    # "" means the setting is not declared: treat as its default, on.
    return value == "" or bool(value)


def _authenticate_token(request: HttpRequest) -> HttpResponse | None:
    """Set ``request.user`` from an ``Authorization: Token`` header; return a 401 when bad."""
    wrapped = Request(request)
    header = get_authorization_header(wrapped).split()
    if not header or header[0].lower() != b"token":
        return None
    try:
        result = CachedTokenAuthentication().authenticate(wrapped)
    except AuthenticationFailed as exc:
        response = JsonResponse({"detail": str(exc.detail)}, status=401)
        response["WWW-Authenticate"] = "Token"
        return response
    if result is not None:
        request.user = result[0]
        # Token requests carry no CSRF cookie; like DRF, do not ask them for one.
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    return None


def _check_csrf(request: HttpRequest, view: Callable[..., Any]) -> HttpResponseBase | None:
    """Apply Django's CSRF check to the plugin's own view (the dispatcher is exempt)."""
    middleware = CsrfViewMiddleware(lambda _request: HttpResponse())
    return middleware.process_view(request, view, (), {})


@extend_schema(exclude=True)
@csrf_exempt
def plugin_view(request: HttpRequest, key: str, rest: str) -> HttpResponseBase:
    """Dispatch ``/plugin/<key>/<rest>`` to the loaded plugin's view; 404 when there is none."""
    registry = current_registry()
    plugin = registry.find_plugin(key)
    if not isinstance(plugin, UrlsMixin) or not plugin.urls:
        return _not_found()
    if not is_plugin_urls_enabled(registry):
        return _not_found()
    try:
        match = _resolvers.get(registry, plugin).resolve(rest)
    except Resolver404:
        return _not_found()
    refused = _authenticate_token(request) or _check_csrf(request, match.func)
    if refused is not None:
        return refused
    return _call_view(key, match.func, request, match.args, match.kwargs)


def _call_view(
    key: str,
    view: Callable[..., HttpResponseBase],
    request: HttpRequest,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> HttpResponseBase:
    """Call a plugin's view; its failure is its own answer (404, 403 or 502), logged."""
    try:
        response = view(request, *args, **kwargs)
    except Http404:
        return _not_found()
    except PermissionDenied:
        return JsonResponse(
            {"detail": "You do not have permission to perform this action."}, status=403
        )
    except Exception as exc:  # the plugin's bug: logged, answered, nothing else disturbed
        logger.exception("plugin '%s' failed in its view for %s", key, request.path)
        # status/ names it; its message stays in the log (it may hold what must not show).
        failures.record_runtime_failure(
            key, failures.URL, f"{type(exc).__name__} in its view of {request.path[:200]}"
        )
        return JsonResponse(
            {
                "detail": f"Plugin '{key}' failed to answer this request; "
                "the server log has the details"
            },
            status=502,
        )
    return response


urlpatterns: list[URLPattern | URLResolver] = [
    # Every sub-path, line breaks included (``.`` stops at them: Django's HTML 404 answered).
    re_path(r"^plugin/(?P<key>[^/]+)/(?P<rest>[\s\S]*)$", plugin_view, name="plugin-urls"),
]
