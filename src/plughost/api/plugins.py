"""Routes under ``/api/plugins/`` (all 20 operations of the contract)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from plughost.api.install_views import PluginInstall, PluginUninstall
from plughost.api.plugin_views import (
    PluginActivate,
    PluginDetail,
    PluginList,
    PluginMetadata,
    PluginReload,
    RegistryStatusView,
)
from plughost.api.setting_views import (
    PluginSettingDetail,
    PluginSettingList,
    PluginSettingsForPlugin,
)

plugin_urlpatterns: list[URLPattern | URLResolver] = [
    path("", PluginList.as_view(), name="api-plugin-list"),
    path("install/", PluginInstall.as_view(), name="api-plugin-install"),
    path("reload/", PluginReload.as_view(), name="api-plugin-reload"),
    path("status/", RegistryStatusView.as_view(), name="api-plugin-registry-status"),
    path("settings/", PluginSettingList.as_view(), name="api-plugin-setting-list"),
    path("<str:plugin>/", PluginDetail.as_view(), name="api-plugin-detail"),
    path("<str:plugin>/activate/", PluginActivate.as_view(), name="api-plugin-detail-activate"),
    path("<str:plugin>/uninstall/", PluginUninstall.as_view(), name="api-plugin-detail-uninstall"),
    path("<str:plugin>/metadata/", PluginMetadata.as_view(), name="api-plugin-metadata"),
    path(
        "<str:plugin>/settings/",
        PluginSettingsForPlugin.as_view(),
        name="api-plugin-settings",
    ),
    # Anchored: /settings/API_KEY/extra/ is not API_KEY (InvenTree's regex was unanchored).
    re_path(
        r"^(?P<plugin>[^/]+)/settings/(?P<key>\w+)/$",
        PluginSettingDetail.as_view(),
        name="api-plugin-setting-detail",
    ),
]
