"""Install and uninstall: validated input, then one service call each.

The bodies are InvenTree's (``success``, ``result``, ``output``, ``input``) with Plughost's
additions: the package and plugin keys an install brought, what a dry run would change,
and what an uninstall removed (for PATCH and PUT alike).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plughost.api.actors import actor_of
from plughost.api.permissions import IsSuperuser
from plughost.api.plugin_views import get_config_or_404
from plughost.api.schema import error_response
from plughost.api.serializers import PluginConfigInstallSerializer, PluginUninstallSerializer
from plughost.core.errors import IllegalStateChangeError
from plughost.installer.operations import ChangeKind
from plughost.installer.secrets import mask_secrets
from plughost.services import installs, uninstalls

PLUGIN_PATH = OpenApiParameter("plugin", str, OpenApiParameter.PATH)
ECHOED = ("url", "packagename", "version", "confirm", "dry_run", "allow_host_changes")


class PluginInstall(APIView):
    """Endpoint for installing a new plugin."""

    permission_classes = (IsSuperuser,)
    serializer_class = PluginConfigInstallSerializer

    @extend_schema(
        operation_id="plugins_install_create",
        request=PluginConfigInstallSerializer,
        responses={
            201: PluginConfigInstallSerializer,
            409: error_response("409", "Another install or uninstall is running; try again later."),
        },
    )
    def post(self, request: Request) -> Response:
        """Validate the request, then install (or resolve, with ``dry_run``)."""
        serializer = PluginConfigInstallSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        wanted = installs.InstallRequest(
            packagename=data.get("packagename"), version=data.get("version"), url=data.get("url")
        )
        echo = {
            name: mask_secrets(data[name]) if isinstance(data[name], str) else data[name]
            for name in ECHOED
            if name in request.data and name in data
        }
        if data.get("dry_run"):
            resolved = installs.dry_run_package(wanted, actor=actor_of(request))
            return Response(dry_run_body(resolved, echo), status=status.HTTP_201_CREATED)
        host_changes = (
            installs.HostChanges.ALLOW
            if data.get("allow_host_changes")
            else installs.HostChanges.REFUSE
        )
        outcome = installs.install_package(
            wanted, host_changes=host_changes, actor=actor_of(request)
        )
        return Response(install_body(outcome, echo), status=status.HTTP_201_CREATED)


def install_body(outcome: installs.InstallOutcome, echo: dict[str, Any]) -> dict[str, Any]:
    """The success body of an install."""
    what = f"{outcome.package} {outcome.version}" if outcome.package else outcome.target
    return {
        "success": "Installed plugin successfully",
        "result": f"Installed {what}",
        "output": "\n".join(outcome.output),
        "input": echo,
        "package": outcome.package,
        "version": outcome.version,
        "plugins": list(outcome.plugins),
        "changes": list(outcome.changes),
    }


def dry_run_body(outcome: installs.DryRunOutcome, echo: dict[str, Any]) -> dict[str, Any]:
    """The body of a dry run: what would change, and which host packages."""
    counts = ", ".join(
        f"{kind.value} {len(outcome.report.of_kind(kind))}"
        for kind in (ChangeKind.INSTALL, ChangeKind.UPGRADE, ChangeKind.DOWNGRADE)
    )
    return {
        "success": "Dry run: nothing was installed",
        "result": f"Resolved {outcome.target}: would {counts}",
        "output": "\n".join(outcome.report.output),
        "input": echo,
        "dry_run": outcome.report.as_dict(),
        "conflicts": list(outcome.conflicts),
    }


class PluginUninstall(APIView):
    """Endpoint for uninstalling a single plugin."""

    permission_classes = (IsSuperuser,)
    serializer_class = PluginUninstallSerializer

    @extend_schema(
        operation_id="plugins_uninstall_update",
        parameters=[PLUGIN_PATH],
        responses={
            200: PluginUninstallSerializer,
            409: error_response("409", "Another install or uninstall is running; try again later."),
        },
    )
    def put(self, request: Request, plugin: str) -> Response:
        """Uninstall the plugin's package."""
        return self._uninstall(request, plugin)

    @extend_schema(
        operation_id="plugins_uninstall_partial_update",
        parameters=[PLUGIN_PATH],
        responses={
            200: PluginUninstallSerializer,
            409: error_response("409", "Another install or uninstall is running; try again later."),
        },
    )
    def patch(self, request: Request, plugin: str) -> Response:
        """Uninstall the plugin's package (the same as PUT)."""
        return self._uninstall(request, plugin)

    def _uninstall(self, request: Request, plugin: str) -> Response:
        get_config_or_404(plugin)
        serializer = PluginUninstallSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delete_config = bool(serializer.validated_data.get("delete_config", True))
        try:
            outcome = uninstalls.uninstall_plugin(
                plugin,
                config=uninstalls.StoredConfig.DELETE
                if delete_config
                else uninstalls.StoredConfig.KEEP,
                actor=actor_of(request),
            )
        except IllegalStateChangeError as exc:
            raise ValidationError({"non_field_errors": [exc.message]}) from exc
        return Response(
            {
                "success": "Uninstalled plugin successfully",
                "result": f"Uninstalled {outcome.package} {outcome.version or ''}".rstrip(),
                "output": "\n".join(outcome.output),
                "delete_config": delete_config,
                "package": outcome.package,
                "removed_packages": dict(outcome.removed_packages),
                "plugins": list(outcome.plugins),
                "deleted_configs": list(outcome.deleted_configs),
            }
        )
