"""The plugin settings endpoints: staff read and write, active plugin or not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plughost.api.actors import actor_of
from plughost.api.cleaning import check_text
from plughost.api.pagination import EnvelopePagination
from plughost.api.permissions import IsStaff
from plughost.api.query import bool_param
from plughost.api.rendering import render_setting
from plughost.api.serializers import PluginSettingSerializer
from plughost.db.models import PluginSetting
from plughost.services import plugin_settings
from plughost.services.guarded_writes import refusals_decide_again
from plughost.services.plugin_settings import SettingView, StoredRow
from plughost.services.registry import (
    Unchecked,
    current_registry,
    decide_write,
    fresh_registry,
)

PLUGIN_PATH = OpenApiParameter("plugin", str, OpenApiParameter.PATH)
KEY_PATH = OpenApiParameter("key", str, OpenApiParameter.PATH, pattern=r"^\w+$")


class PluginSettingList(GenericAPIView[Any]):
    """List endpoint for all plugin related settings.

    - read only
    - only accessible by staff users
    """

    permission_classes = (IsStaff,)
    pagination_class = EnvelopePagination
    serializer_class = PluginSettingSerializer
    queryset = PluginSetting.objects.none()  # the schema's model; get() builds its own query

    @extend_schema(
        operation_id="plugins_settings_list",
        parameters=[
            OpenApiParameter("limit", int, description="Number of results to return per page."),
            OpenApiParameter(
                "offset", int, description="The initial index from which to return the results."
            ),
            OpenApiParameter("plugin__active", bool),
            OpenApiParameter("plugin__key", str),
        ],
        responses=PluginSettingSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Return one page of stored settings of every plugin, in a stable order."""
        registry = current_registry()
        rows: Sequence[StoredRow] = plugin_settings.all_stored_rows()
        active = bool_param(request, "plugin__active")
        if active is not None:
            rows = [stored for stored in rows if stored.plugin_active is active]
        key = request.query_params.get("plugin__key")
        if key:
            rows = [stored for stored in rows if stored.plugin_key == key]
        paginator = EnvelopePagination()
        page = paginator.paginate_items(rows, request)
        results = []
        for stored in page:
            definition = registry.find_definition(stored.plugin_key)
            spec = definition.find_setting(stored.row.key) if definition else None
            results.append(
                render_setting(SettingView(row=stored.row, spec=spec, plugin_key=stored.plugin_key))
            )
        return paginator.envelope(results)


class PluginSettingsForPlugin(APIView):
    """Get all settings for a plugin config."""

    permission_classes = (IsStaff,)

    @extend_schema(
        operation_id="plugins_settings_list_2",
        parameters=[PLUGIN_PATH],
        responses=PluginSettingSerializer(many=True),
    )
    def get(self, request: Request, plugin: str) -> Response:
        """Return every declared setting of the plugin (a plain list, as the contract says)."""
        views = plugin_settings.list_plugin_settings(current_registry(), plugin)
        return Response([render_setting(view) for view in views])


class PluginSettingDetail(APIView):
    """Detail endpoint for a plugin-specific setting.

    Note that these cannot be created or deleted via the API
    """

    permission_classes = (IsStaff,)
    serializer_class = PluginSettingSerializer

    @extend_schema(operation_id="plugins_settings_retrieve", parameters=[KEY_PATH, PLUGIN_PATH])
    def get(self, request: Request, plugin: str, key: str) -> Response:
        """Return one setting (never writes)."""
        return Response(
            render_setting(plugin_settings.get_setting(current_registry(), plugin, key))
        )

    @extend_schema(operation_id="plugins_settings_update", parameters=[KEY_PATH, PLUGIN_PATH])
    def put(self, request: Request, plugin: str, key: str) -> Response:
        """Replace the value (``value`` is required)."""
        return self._write(request, plugin, key, required=True)

    @extend_schema(
        operation_id="plugins_settings_partial_update", parameters=[KEY_PATH, PLUGIN_PATH]
    )
    def patch(self, request: Request, plugin: str, key: str) -> Response:
        """Change the value (without ``value`` nothing changes)."""
        return self._write(request, plugin, key, required=False)

    def _write(self, request: Request, plugin: str, key: str, *, required: bool) -> Response:
        return decide_write(
            lambda unchecked: self._write_on(request, plugin, key, unchecked, required=required)
        )

    def _write_on(
        self,
        request: Request,
        plugin: str,
        key: str,
        unchecked: Unchecked | None,
        *,
        required: bool,
    ) -> Response:
        registry, decided_on = unchecked or (fresh_registry(), None)
        with refusals_decide_again(decided_on):  # an unchecked registry may not know it yet
            spec = plugin_settings.find_spec(registry, plugin, key)  # 404s before the 400
        data: Any = request.data
        if not hasattr(data, "get") or "value" not in data:
            if required:
                raise ValidationError({"value": ["This field is required."]})
            return Response(render_setting(plugin_settings.get_setting(registry, plugin, key)))
        value = data.get("value")
        if isinstance(value, str):
            check_text(value, field="value")
        updated = plugin_settings.update_setting(
            plugin,
            spec.key,
            value,
            registry=registry,
            actor=actor_of(request),
            decided_on=decided_on,
        )
        return Response(render_setting(updated))
