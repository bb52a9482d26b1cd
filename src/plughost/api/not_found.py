"""The JSON 404 for any unknown path under ``/api/``, for every method."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema


@extend_schema(exclude=True)
@csrf_exempt
def endpoint_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Answer 404 with InvenTree's body, naming the absolute URL asked for.

    A plain Django view, exempt from CSRF: InvenTree answers an unknown path with a 403 HTML
    page for unsafe methods (its CSRF check); here every method gets the same JSON 404.
    """
    return JsonResponse(
        {"detail": "API endpoint not found", "url": request.build_absolute_uri()},
        status=404,
    )
