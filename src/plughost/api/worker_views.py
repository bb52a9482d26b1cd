"""``/api/plugins/events/`` and ``/api/plugins/tasks/``: events in, task runs out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from plughost.api.pagination import EnvelopePagination
from plughost.api.permissions import IsStaff, IsSuperuser
from plughost.api.worker_serializers import (
    EventDeliveryStatsSerializer,
    EventTriggerSerializer,
    PluginTaskSerializer,
    QueuedEventSerializer,
)
from plughost.services import events, schedules
from plughost.services.registry import current_registry

PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description="Number of results to return per page."),
    OpenApiParameter(
        "offset", int, description="The initial index from which to return the results."
    ),
]


class PluginEvents(GenericAPIView[Any]):
    """Send an event to the active event plugins (POST); see delivery counts (GET)."""

    permission_classes = (IsStaff,)
    pagination_class = EnvelopePagination
    serializer_class = EventDeliveryStatsSerializer

    @extend_schema(
        operation_id="plugins_events_list",
        parameters=PAGE_PARAMETERS,
        responses=EventDeliveryStatsSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Return, per plugin, how many events it handled and how many failed."""
        paginator = EnvelopePagination()
        page = paginator.paginate_items(events.list_delivery_stats(), request)
        return paginator.envelope(list(EventDeliveryStatsSerializer(page, many=True).data))

    @extend_schema(
        operation_id="plugins_events_create",
        request=EventTriggerSerializer,
        responses={202: QueuedEventSerializer},
    )
    def post(self, request: Request) -> Response:
        """Queue the event for every active event plugin; answer 202 with what was queued."""
        serializer = EventTriggerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        queued = events.queue_event(
            current_registry(),
            serializer.validated_data["event"],
            serializer.validated_data["data"],
        )
        return Response(QueuedEventSerializer(queued).data, status=status.HTTP_202_ACCEPTED)


class PluginTaskList(GenericAPIView[Any]):
    """The scheduled tasks of plugins, with their latest run (superusers)."""

    permission_classes = (IsSuperuser,)
    pagination_class = EnvelopePagination
    serializer_class = PluginTaskSerializer

    @extend_schema(
        operation_id="plugins_tasks_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("plugin", str, description="Only the tasks of this plugin key"),
        ],
        responses=PluginTaskSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Return one page of plugin tasks, ordered by name."""
        key = request.query_params.get("plugin") or None
        tasks = schedules.list_plugin_tasks(current_registry(), key=key)
        paginator = EnvelopePagination()
        page = paginator.paginate_items(tasks, request)
        return paginator.envelope(list(PluginTaskSerializer(page, many=True).data))
