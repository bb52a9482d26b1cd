"""The OpenAPI schema class: every operation documents the errors it can answer.

InvenTree's schema lists only the success of each operation. Here every operation also
documents the 4xx answers that the request layers in front of it can give, derived from
what the operation is (``exceptions.py`` and ``server/limits.py`` give the bodies):

* 401 (bad or missing credentials; any operation, since bad credentials are refused even
  where none are needed) and 429 (too many failed authentications);
* 403 where a permission beyond "authenticated" applies, or the method is unsafe (session
  requests without a CSRF token);
* 404 where the path names a plugin, a setting or another object;
* 400 where the operation takes a body or query parameters; 413 where it takes a body.

Views add what is theirs alone (409 of an install, 502 of a plugin call) with
``extend_schema(responses=...)``. A 500 is never documented: it is a bug.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

from plughost.api.pagination import MAX_PAGE_NUMBER

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGE_PARAMETERS = frozenset({"limit", "offset"})


class ErrorDetailSerializer(serializers.Serializer[Any]):
    """An error answer: what went wrong and what to do."""

    detail = serializers.CharField()


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: the field names and what each accepts (``detail`` or "
    "``non_field_errors`` for the request as a whole).",
    "401": "Authentication credentials were not provided or are invalid.",
    "403": "The caller may not do this (or a session request lacks its CSRF token).",
    "404": "No such object.",
    "413": "The request body is larger than the server accepts (PLUGHOST_MAX_REQUEST_BYTES).",
    "429": "Too many failed authentications from this address or for this user; "
    "see the Retry-After header.",
}


def error_response(code: str, description: str | None = None) -> OpenApiResponse:
    """The documented answer of one error status."""
    if code == "400":
        return OpenApiResponse(OpenApiTypes.OBJECT, description=ERROR_DESCRIPTIONS[code])
    return OpenApiResponse(
        ErrorDetailSerializer, description=description or ERROR_DESCRIPTIONS.get(code, "")
    )


def _query_schema(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A page number out of 0..10**9 is a 400 (EnvelopePagination)."""
    if name in PAGE_PARAMETERS:
        return {**schema, "minimum": 0, "maximum": MAX_PAGE_NUMBER}
    return schema


class PlughostAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding each operation's error answers."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        """Return the operation with its error responses documented."""
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            # EnvelopePagination: a negative limit or offset is a 400.
            if parameter.get("in") == "query":
                parameter["schema"] = _query_schema(parameter["name"], parameter["schema"])
                # Every list here reads an empty value (`?active=`) as "not given".
                parameter["allowEmptyValue"] = True
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    error_response(code), code
                )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        method = self.method.upper()
        permissions = [type(p) for p in self.view.get_permissions()]
        codes = ["401", "429"]
        if method in UNSAFE_METHODS or any(
            p not in (AllowAny, IsAuthenticated) for p in permissions
        ):
            codes.append("403")
        parameters = operation.get("parameters", [])
        if any(p.get("in") == "path" for p in parameters):
            codes.append("404")
        has_body = "requestBody" in operation or method in UNSAFE_METHODS - {"DELETE"}
        if has_body or any(p.get("in") == "query" for p in parameters):
            codes.append("400")
        if has_body:
            codes.append("413")
        return codes
