"""Limit/offset pagination that always answers the page envelope (the contract's shape)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

MAX_PAGE_NUMBER = 10**9
"""The largest ``limit`` or ``offset`` (a larger one overflows the databases' integers)."""


def _parse_non_negative(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"A valid integer is required, not {raw!r}."]}) from None
    if value < 0:
        raise ValidationError({name: ["Ensure this value is greater than or equal to 0."]})
    if value > MAX_PAGE_NUMBER:
        raise ValidationError(
            {name: [f"Ensure this value is less than or equal to {MAX_PAGE_NUMBER}."]}
        )
    return value


class EnvelopePagination(LimitOffsetPagination):
    """``{count, next, previous, results}`` always; without ``limit`` the page holds everything.

    InvenTree 198 answers a bare array without ``limit`` and ignores bad values; here a bad
    ``limit`` or ``offset`` is a 400 and ``limit=0`` means no limit.
    """

    def get_limit(self, request: Request) -> int | None:
        """Return the page size, or None for everything."""
        limit = _parse_non_negative(request, self.limit_query_param)
        return limit or None

    def get_offset(self, request: Request) -> int:
        """Return the offset (0 by default)."""
        return _parse_non_negative(request, self.offset_query_param) or 0

    def paginate_items(self, items: Sequence[Any] | Any, request: Request) -> list[Any]:
        """Cut one page out of ``items`` (a list or a queryset) and remember the count."""
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        end = None if self.limit is None else self.offset + self.limit
        page = list(items[self.offset : end])
        if (self.limit is None or len(page) < self.limit) and (page or not self.offset):
            # The page ends before the limit: it holds the last item, so it tells the count
            # and no COUNT query is needed (an empty page past the end still asks).
            self.count = self.offset + len(page)
        else:
            self.count = self.get_count(items)
        return page

    def get_next_link(self) -> str | None:
        """Return the next page's URL, or None (also without a limit)."""
        if self.limit is None:
            return None
        return super().get_next_link()

    def get_previous_link(self) -> str | None:
        """Return the previous page's URL, or None (also without a limit)."""
        if self.limit is None:
            return None
        return super().get_previous_link()

    def envelope(self, results: list[Any]) -> Response:
        """Return the page envelope for ``results``."""
        return self.get_paginated_response(results)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Describe the envelope as the contract does (no ``required`` list)."""
        described: dict[str, Any] = super().get_paginated_response_schema(schema)
        described.pop("required", None)
        return described
