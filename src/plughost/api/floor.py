"""``GET /api/bench/floor/``: the cheapest authenticated endpoint, the benchmark's yardstick.

It runs the same middleware, authentication, permission check and renderer as every API view
and does no work of its own, so its cost per request is the floor that the benchmark
(``benchmarks/``) divides every other endpoint's cost by. It exists only when the server was
started with ``PLUGHOST_BENCH_FLOOR=1``; otherwise the path is an unknown ``/api/`` path (404).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

BODY = {"floor": True, "detail": "plughost-bench"}
"""Rendered, exactly 40 bytes: ``{"floor":true,"detail":"plughost-bench"}``."""


class FloorView(APIView):
    """Answer a constant 40-byte JSON object to any authenticated caller."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        """Return the constant body."""
        return Response(BODY)


def floor_urlpatterns() -> list[URLPattern]:
    """Return the floor's route when ``PLUGHOST_BENCH_FLOOR`` is on, else nothing."""
    if not settings.PLUGHOST_BENCH_FLOOR:
        return []
    return [path("bench/floor/", FloorView.as_view(), name="api-bench-floor")]
