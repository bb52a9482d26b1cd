"""``GET /api/``: the server information InvenTree clients read before anything else.

The ``inventree`` Python client checks ``server`` and ``apiVersion`` here to accept the
server. InvenTree 198 lists every active plugin's name and version to anyone; here only an
authenticated caller sees them (a deliberate difference: anonymous callers get ``[]``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plughost.core.registry import Registry
from plughost.services import nodes
from plughost.services.registry import current_registry

API_VERSION = 198
SERVER_NAME = "InvenTree"
INSTANCE_NAME = "Plughost"


class ActivePluginSerializer(serializers.Serializer[Any]):
    """One loaded plugin as ``GET /api/`` lists it."""

    name = serializers.CharField()
    slug = serializers.CharField()
    version = serializers.CharField(allow_null=True)


class InfoSerializer(serializers.Serializer[Any]):
    """The server information object."""

    server = serializers.CharField()
    version = serializers.CharField()
    instance = serializers.CharField()
    apiVersion = serializers.IntegerField()  # noqa: N815 - wire format
    worker_running = serializers.BooleanField()
    worker_pending_tasks = serializers.IntegerField()
    plugins_enabled = serializers.BooleanField()
    plugins_install_disabled = serializers.BooleanField()
    active_plugins = ActivePluginSerializer(
        many=True, help_text="Loaded plugins; empty for anonymous callers."
    )
    email_configured = serializers.BooleanField()
    debug_mode = serializers.BooleanField()
    docker_mode = serializers.BooleanField()
    default_locale = serializers.CharField()
    system_health = serializers.BooleanField(allow_null=True)
    database = serializers.CharField(allow_null=True)
    platform = serializers.CharField(allow_null=True)
    installer = serializers.CharField(allow_null=True)
    target = serializers.CharField(allow_null=True)


def active_plugins(registry: Registry) -> list[dict[str, str | None]]:
    """Return ``{name, slug, version}`` of every loaded plugin, in discovery order."""
    return [
        {"name": plugin.name, "slug": plugin.slug, "version": plugin.version}
        for plugin in registry.instances.values()
    ]


class InfoView(APIView):
    """Server information; open to everyone, plugin names only for authenticated callers."""

    permission_classes = (AllowAny,)

    @extend_schema(operation_id="info_retrieve", responses=InfoSerializer)
    def get(self, request: Request) -> Response:
        """Return the server information."""
        user = request.user
        authenticated = bool(user and user.is_authenticated)
        workers = nodes.worker_state()
        return Response(
            {
                "server": SERVER_NAME,
                "version": str(settings.PLUGHOST_HOST_VERSION),
                "instance": INSTANCE_NAME,
                "apiVersion": API_VERSION,
                "worker_running": workers.running,
                "worker_pending_tasks": workers.pending_tasks,
                "plugins_enabled": settings.PLUGHOST_PLUGINS_ENABLED,
                "plugins_install_disabled": bool(settings.PLUGHOST_PLUGIN_NOINSTALL)
                or not settings.PLUGHOST_PLUGINS_ENABLED,
                "active_plugins": active_plugins(current_registry()) if authenticated else [],
                "email_configured": False,
                "debug_mode": bool(settings.DEBUG),
                "docker_mode": False,
                "default_locale": "en-us",
                "system_health": None,
                "database": None,
                "platform": None,
                "installer": None,
                "target": None,
            }
        )
