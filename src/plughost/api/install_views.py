"""Install and uninstall: validated input, then one service call each."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plughost.api.permissions import IsSuperuser
from plughost.api.plugin_views import get_config_or_404
from plughost.api.serializers import PluginConfigInstallSerializer, PluginUninstallSerializer
from plughost.core.errors import IllegalStateChangeError
from plughost.installer.requests import parse_install_request
from plughost.services import installs
from plughost.services.installs import Actor

PLUGIN_PATH = OpenApiParameter("plugin", str, OpenApiParameter.PATH)


def actor_of(request: Request) -> Actor:
    """Return who asked, from where (for the audit log)."""
    return Actor(
        username=str(getattr(request.user, "username", "") or ""),
        address=str(request.META.get("REMOTE_ADDR", "")),
    )


class PluginInstall(APIView):
    """Endpoint for installing a new plugin."""

    permission_classes = (IsSuperuser,)
    serializer_class = PluginConfigInstallSerializer

    @extend_schema(
        operation_id="plugins_install_create",
        request=PluginConfigInstallSerializer,
        responses={201: PluginConfigInstallSerializer},
    )
    def post(self, request: Request) -> Response:
        """Validate the request, then install (or resolve, with ``dry_run``)."""
        serializer = PluginConfigInstallSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = parse_install_request(
            data.get("packagename"), data.get("version"), data.get("url")
        )
        supplied = {
            name: data[name]
            for name in ("url", "packagename", "version", "confirm", "dry_run")
            if name in request.data
        }
        options = installs.InstallOptions(
            dry_run=bool(data.get("dry_run")),
            allow_host_changes=bool(data.get("allow_host_changes")),
        )
        body = installs.install_plugin(target, options, actor=actor_of(request), echo=supplied)
        return Response(body, status=status.HTTP_201_CREATED)


class PluginUninstall(APIView):
    """Endpoint for uninstalling a single plugin."""

    permission_classes = (IsSuperuser,)
    serializer_class = PluginUninstallSerializer

    @extend_schema(operation_id="plugins_uninstall_update", parameters=[PLUGIN_PATH])
    def put(self, request: Request, plugin: str) -> Response:
        """Uninstall the plugin's package."""
        return self._uninstall(request, plugin)

    @extend_schema(operation_id="plugins_uninstall_partial_update", parameters=[PLUGIN_PATH])
    def patch(self, request: Request, plugin: str) -> Response:
        """Uninstall the plugin's package (the same as PUT)."""
        return self._uninstall(request, plugin)

    def _uninstall(self, request: Request, plugin: str) -> Response:
        get_config_or_404(plugin)
        serializer = PluginUninstallSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delete_config = bool(serializer.validated_data.get("delete_config", True))
        try:
            body = installs.uninstall_plugin(
                plugin, delete_config=delete_config, actor=actor_of(request)
            )
        except IllegalStateChangeError as exc:
            raise ValidationError({"non_field_errors": [exc.message]}) from exc
        return Response(body)
