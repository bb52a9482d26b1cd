"""Routes under ``/api/plugins/`` (all 20 operations of the contract)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from plughost.api.audit_views import PluginAuditList
from plughost.api.capability_views import CurrencyExchangeView, PluginNavigationView
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
from plughost.api.worker_views import PluginEvents, PluginTaskList

plugin_urlpatterns: list[URLPattern | URLResolver] = [
    path("", PluginList.as_view(), name="api-plugin-list"),
    path("install/", PluginInstall.as_view(), name="api-plugin-install"),
    path("reload/", PluginReload.as_view(), name="api-plugin-reload"),
    path("status/", RegistryStatusView.as_view(), name="api-plugin-registry-status"),
    path("settings/", PluginSettingList.as_view(), name="api-plugin-setting-list"),
    path("audit/", PluginAuditList.as_view(), name="api-plugin-audit"),
    # `currency` is a reserved key, so no plugin's routes can shadow this one.
    path("currency/exchange/", CurrencyExchangeView.as_view(), name="api-currency-exchange"),
    # `events` and `tasks` are reserved keys too.
    path("events/", PluginEvents.as_view(), name="api-plugin-events"),
    path("tasks/", PluginTaskList.as_view(), name="api-plugin-tasks"),
    path("<str:plugin>/", PluginDetail.as_view(), name="api-plugin-detail"),
    path("<str:plugin>/activate/", PluginActivate.as_view(), name="api-plugin-detail-activate"),
    path("<str:plugin>/uninstall/", PluginUninstall.as_view(), name="api-plugin-detail-uninstall"),
    path("<str:plugin>/metadata/", PluginMetadata.as_view(), name="api-plugin-metadata"),
    path("<str:plugin>/navigation/", PluginNavigationView.as_view(), name="api-plugin-navigation"),
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
