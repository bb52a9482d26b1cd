"""Response headers that InvenTree 198 sends on every answer."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


class ContentLanguageMiddleware:
    """Mark every response as English, as InvenTree's locale and CORS middleware do.

    We have one language and no CORS middleware, so this replaces both for the
    headers clients see: ``Content-Language: en`` and ``Vary: origin, Accept-Language``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("origin", "Accept-Language"))
        response.headers.setdefault("Content-Language", "en")
        return response
