"""``GET /api/plugins/audit/``: the audit log, newest first, for superusers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from plughost.api.pagination import EnvelopePagination
from plughost.api.permissions import IsSuperuser
from plughost.api.serializers import PluginAuditEntrySerializer
from plughost.db.models import AuditAction, AuditEntry, AuditResult
from plughost.services import audit


def _choice(request: Request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in choices:
        raise ValidationError({name: [f"'{value}' is not one of: {', '.join(choices)}."]})
    return value


class PluginAuditList(GenericAPIView[Any]):
    """The audit log of plugin installs, uninstalls, activations and setting changes.

    Every attempt is recorded, also the refused and failed ones, with the user, the client
    address, what was changed and the result. Credentials in index URLs are masked.
    """

    permission_classes = (IsSuperuser,)
    pagination_class = EnvelopePagination
    serializer_class = PluginAuditEntrySerializer
    queryset = AuditEntry.objects.none()  # the schema's model; get() asks the service

    @extend_schema(
        operation_id="plugins_audit_list",
        parameters=[
            OpenApiParameter("action", str, enum=list(AuditAction.values)),
            OpenApiParameter("result", str, enum=list(AuditResult.values)),
            OpenApiParameter("user", str, description="User name"),
            OpenApiParameter("limit", int, description="Number of results to return per page."),
            OpenApiParameter(
                "offset", int, description="The initial index from which to return the results."
            ),
        ],
        responses=PluginAuditEntrySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Return one page of audit entries, newest first."""
        entries = audit.entries(
            action=_choice(request, "action", list(AuditAction.values)),
            result=_choice(request, "result", list(AuditResult.values)),
            user=request.query_params.get("user") or None,
        )
        paginator = EnvelopePagination()
        page = paginator.paginate_items(entries, request)
        return paginator.envelope(list(PluginAuditEntrySerializer(page, many=True).data))
