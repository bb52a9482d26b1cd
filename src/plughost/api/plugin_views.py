"""The plugin endpoints: list, detail, activate, reload, status, metadata."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plughost.api.actors import actor_of
from plughost.api.boolean_bodies import boolean_body
from plughost.api.cleaning import check_tree
from plughost.api.pagination import EnvelopePagination
from plughost.api.permissions import IsStaff, IsSuperuser, ReadAuthenticatedWriteSuperuser
from plughost.api.plugin_query import PluginQuery, select_rows
from plughost.api.query import bool_param, ordering_param, ordering_pattern, search_terms
from plughost.api.rendering import render_plugin
from plughost.api.serializers import (
    MetadataSerializer,
    PluginActivateSerializer,
    PluginConfigSerializer,
    PluginRegistryStatusSerializer,
    PluginReloadSerializer,
)
from plughost.core.errors import IllegalStateChangeError, PluginNotFoundError
from plughost.core.registry import Registry
from plughost.db.models import PluginConfig
from plughost.services import plugin_apps
from plughost.services import plugins as plugin_service
from plughost.services.failures import recent_runtime_failures
from plughost.services.guarded_writes import DecideAgain
from plughost.services.installs import install_failures
from plughost.services.nodes import recent_reports
from plughost.services.registry import (
    CONFIG_ORDER,
    Discovery,
    Unchecked,
    current_registry,
    current_snapshot,
    decide_write,
    fresh_registry,
    reload_registry,
)

ORDERING_FIELDS = ("key", "name", "active")
DEFAULT_ORDERING = ("-active", "name", "key")
MAX_METADATA_BYTES = 64 * 1024
PLUGIN_PATH = OpenApiParameter("plugin", str, OpenApiParameter.PATH)


def _bool_field(name: str, kind: str = "boolean") -> OpenApiParameter:
    return OpenApiParameter(name, bool if kind == "boolean" else str, OpenApiParameter.QUERY)


def get_config_or_404(key: str) -> PluginConfig:
    """Return the config of ``key`` or answer 404 ``Not found.`` (InvenTree's body)."""
    try:
        return plugin_service.get_config(key)
    except PluginNotFoundError:
        raise NotFound() from None


def plugin_body(key: str, registry: Registry) -> dict[str, Any]:
    """Return the current body of one plugin (from the snapshot: no query)."""
    snapshot = current_snapshot()
    row = snapshot.configs.get(key)
    if row is None:
        raise NotFound()
    return render_plugin(row, snapshot.registry)


class PluginList(GenericAPIView[Any]):
    """API endpoint for list of PluginConfig objects.

    - GET: Return a list of all PluginConfig objects
    """

    permission_classes = (IsAuthenticated,)
    pagination_class = EnvelopePagination
    serializer_class = PluginConfigSerializer
    queryset = PluginConfig.objects.none()  # the schema's model; get() builds its own query

    @extend_schema(
        operation_id="plugins_list",
        parameters=[
            OpenApiParameter("active", bool),
            OpenApiParameter("builtin", bool, description="Builtin"),
            OpenApiParameter("installed", bool, description="Installed"),
            OpenApiParameter("limit", int, description="Number of results to return per page."),
            OpenApiParameter("mixin", str, description="Mixin"),
            OpenApiParameter(
                "offset", int, description="The initial index from which to return the results."
            ),
            OpenApiParameter(
                "ordering",
                str,
                description="Which field to use when ordering the results.",
                pattern=ordering_pattern(ORDERING_FIELDS),
            ),
            OpenApiParameter("sample", bool, description="Sample"),
            OpenApiParameter("search", str, description="A search term."),
        ],
        responses=PluginConfigSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Return one page of plugins, filtered, searched and ordered."""
        snapshot = current_snapshot()
        query = PluginQuery(
            active=bool_param(request, "active"),
            builtin=bool_param(request, "builtin"),
            sample=bool_param(request, "sample"),
            installed=bool_param(request, "installed"),
            mixins=tuple(
                part.strip().lower()
                for part in request.query_params.get("mixin", "").split(",")
                if part.strip()
            ),
            terms=tuple(search_terms(request)),
            ordering=tuple(ordering_param(request, ORDERING_FIELDS, DEFAULT_ORDERING)),
        )
        rows = select_rows(snapshot, query, CONFIG_ORDER)
        registry = snapshot.registry
        paginator = EnvelopePagination()
        page = paginator.paginate_items(rows, request)  # rendered from the registry, not serialized
        return paginator.envelope([render_plugin(row, registry) for row in page])


class PluginDetail(APIView):
    """API detail endpoint for PluginConfig object.

    get:
    Return a single PluginConfig object

    post:
    Update a PluginConfig

    delete:
    Remove a PluginConfig
    """

    permission_classes = (ReadAuthenticatedWriteSuperuser,)
    serializer_class = PluginConfigSerializer

    @extend_schema(operation_id="plugins_retrieve", parameters=[PLUGIN_PATH])
    def get(self, request: Request, plugin: str) -> Response:
        """Return one plugin."""
        return Response(plugin_body(plugin, current_registry()))

    @extend_schema(operation_id="plugins_update", parameters=[PLUGIN_PATH])
    def put(self, request: Request, plugin: str) -> Response:
        """Update a plugin (only ``active`` can change)."""
        return self._update(request, plugin)

    @extend_schema(operation_id="plugins_partial_update", parameters=[PLUGIN_PATH])
    def patch(self, request: Request, plugin: str) -> Response:
        """Update a plugin partially (only ``active`` can change)."""
        return self._update(request, plugin)

    def _update(self, request: Request, plugin: str) -> Response:
        config = get_config_or_404(plugin)
        serializer = PluginConfigSerializer(config, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            plugin_service.update_description(
                plugin,
                name=data.get("name"),
                package_name=data.get("package_name"),
            )
        except IllegalStateChangeError as exc:
            field = "name" if "'name'" in exc.message else "package_name"
            raise ValidationError({field: [exc.message]}) from exc
        if "active" in data:
            _set_active(plugin, bool(data["active"]), request)
        return Response(plugin_body(plugin, current_registry()))

    @extend_schema(
        operation_id="plugins_destroy",
        parameters=[PLUGIN_PATH],
        description="Handle DELETE request for a PluginConfig instance.\n\n"
        "We only allow plugin deletion if the plugin is not active.",
        responses={204: None},
    )
    def delete(self, request: Request, plugin: str) -> Response:
        """Delete an inactive plugin's config."""
        get_config_or_404(plugin)
        plugin_service.delete(plugin)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _set_active(
    key: str, active: bool, request: Request, unchecked: Unchecked | None = None
) -> PluginConfig:
    change = plugin_service.activate if active else plugin_service.deactivate
    try:
        return change(key, actor=actor_of(request), unchecked=unchecked)
    except IllegalStateChangeError as exc:
        raise ValidationError({"active": [exc.message]}) from exc


class PluginActivate(APIView):
    """Endpoint for activating a plugin.

    - PATCH: Activate a plugin

    Pass a boolean value for the 'active' field.
    If not provided, it is assumed to be True,
    and the plugin will be activated.
    """

    permission_classes = (IsSuperuser,)
    serializer_class = PluginActivateSerializer

    @extend_schema(operation_id="plugins_activate_update", parameters=[PLUGIN_PATH])
    def put(self, request: Request, plugin: str) -> Response:
        """Activate or deactivate a plugin."""
        return self._activate(request, plugin)

    @extend_schema(operation_id="plugins_activate_partial_update", parameters=[PLUGIN_PATH])
    def patch(self, request: Request, plugin: str) -> Response:
        """Activate or deactivate a plugin."""
        return self._activate(request, plugin)

    def _activate(self, request: Request, plugin: str) -> Response:
        return decide_write(lambda unchecked: self._activate_on(request, plugin, unchecked))

    def _activate_on(self, request: Request, plugin: str, unchecked: Unchecked | None) -> Response:
        # 404 before the body's 400; a key this process does not know yet is checked afresh
        # (another worker may have just installed it).
        if plugin not in current_snapshot().configs:
            if unchecked is not None:
                raise DecideAgain
            fresh_registry()
            if plugin not in current_snapshot().configs:
                raise NotFound()
        flags = boolean_body(PluginActivateSerializer, request.data)
        if flags is None:
            serializer = PluginActivateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            flags = serializer.validated_data
        active = bool(flags.get("active", True))
        config = _set_active(plugin, active, request, unchecked)
        body: dict[str, bool] = {"active": config.active}
        if config.active and plugin_apps.needs_restart(plugin):
            body["restart_required"] = True
        return Response(body)


class PluginReload(APIView):
    """Endpoint for reloading all plugins."""

    permission_classes = (IsSuperuser,)
    serializer_class = PluginReloadSerializer

    @extend_schema(operation_id="plugins_reload_create", responses={201: PluginReloadSerializer})
    def post(self, request: Request) -> Response:
        """Rebuild the registry; ``collect_plugins`` rediscovers plugins first."""
        flags = boolean_body(PluginReloadSerializer, request.data)
        if flags is None:
            serializer = PluginReloadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            flags = serializer.validated_data
        reload_registry(Discovery.RECOLLECT if flags["collect_plugins"] else Discovery.REUSE)
        return Response(dict(flags), status=status.HTTP_201_CREATED)


class RegistryStatusView(APIView):
    """Show plugin registry status information."""

    permission_classes = (IsSuperuser,)
    serializer_class = PluginRegistryStatusSerializer

    @extend_schema(operation_id="plugins_status_retrieve")
    def get(self, request: Request) -> Response:
        """Return the active count and the current registry errors."""
        registry = current_registry()
        return Response(
            {
                "active_plugins": plugin_service.active_count(),
                "registry_errors": [
                    {"stage": error.stage.value, "name": error.name, "message": error.message}
                    # Installs that were rolled back stay listed until the package is
                    # installed successfully or uninstalled.
                    for error in (*registry.errors, *install_failures())
                ],
                "registry_version": registry.version,
                "runtime_errors": recent_runtime_failures(),
                "nodes": recent_reports(),
            }
        )


class PluginMetadata(APIView):
    """Generic API endpoint for reading and editing metadata for a model."""

    permission_classes = (IsStaff,)
    serializer_class = MetadataSerializer

    @extend_schema(operation_id="plugins_metadata_retrieve", parameters=[PLUGIN_PATH])
    def get(self, request: Request, plugin: str) -> Response:
        """Return the plugin's metadata object."""
        # The snapshot's configs say which exist (its first build stores those found since);
        # the metadata itself may come from memory, which knows nothing of deletions.
        if plugin not in current_snapshot().configs:
            raise NotFound()
        try:
            metadata = plugin_service.get_metadata(plugin)
        except PluginNotFoundError:
            raise NotFound() from None  # deleted meanwhile
        return Response({"metadata": metadata})

    @extend_schema(operation_id="plugins_metadata_update", parameters=[PLUGIN_PATH])
    def put(self, request: Request, plugin: str) -> Response:
        """Replace the metadata object."""
        return self._write(request, plugin, plugin_service.MetadataWrite.REPLACE)

    @extend_schema(operation_id="plugins_metadata_partial_update", parameters=[PLUGIN_PATH])
    def patch(self, request: Request, plugin: str) -> Response:
        """Merge the given keys into the metadata object."""
        return self._write(request, plugin, plugin_service.MetadataWrite.MERGE)

    def _write(self, request: Request, plugin: str, how: plugin_service.MetadataWrite) -> Response:
        return decide_write(lambda unchecked: self._write_on(request, plugin, how, unchecked))

    def _write_on(
        self,
        request: Request,
        plugin: str,
        how: plugin_service.MetadataWrite,
        unchecked: Unchecked | None,
    ) -> Response:
        # Unchecked: the write's statement checks the snapshot's versions; else check now.
        registry = None if unchecked is not None else fresh_registry()
        if plugin not in current_snapshot().configs:
            if unchecked is not None:
                raise DecideAgain  # another process may have just installed it
            raise NotFound()  # before the body's 400, as InvenTree answers
        data = request.data
        if not isinstance(data, dict) or "metadata" not in data:
            raise ValidationError({"metadata": ["This field is required."]})
        metadata = data["metadata"]
        if metadata is None:
            raise ValidationError({"metadata": ["This field may not be null."]})
        if not isinstance(metadata, dict):
            raise ValidationError({"metadata": ["Metadata must be a JSON object"]})
        check_tree(metadata, field="metadata")
        size = len(json.dumps(metadata).encode())
        if size > MAX_METADATA_BYTES:
            raise ValidationError(
                {
                    "metadata": [
                        f"Metadata is too large ({size} bytes; at most {MAX_METADATA_BYTES})"
                    ]
                }
            )
        try:
            stored = plugin_service.write_metadata(
                plugin, metadata, how, registry=registry, unchecked=unchecked
            )
        except PluginNotFoundError:
            raise NotFound() from None  # deleted meanwhile
        return Response({"metadata": stored})
