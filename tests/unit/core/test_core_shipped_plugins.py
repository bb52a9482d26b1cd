"""The builtin and sample plugins, discovered and loaded like any other plugin."""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import ModuleType, SimpleNamespace
from typing import Any, cast

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import include, path, reverse
from django.urls.resolvers import RegexPattern, URLPattern, URLResolver
from plugin_factory import HOST_VERSION, FakeHost

import plughost
from plughost.core.definition import Definitions, Origin, Stage, define_plugins
from plughost.core.discovery import discover_package
from plughost.core.errors import InvalidSettingValueError
from plughost.core.registry import Registry, build_registry
from plughost.core.settings import SettingType
from plughost.mixins import SettingsMixin, UrlsMixin
from plughost.plugins.builtin.host import PlughostPlugin
from plughost.plugins.samples.integration import SampleIntegrationPlugin

HOST_SWITCHES = [
    "ENABLE_PLUGINS_URL",
    "ENABLE_PLUGINS_EVENTS",
    "ENABLE_PLUGINS_SCHEDULE",
    "ENABLE_PLUGINS_ACTIONS",
    "ENABLE_PLUGINS_NAVIGATION",
]


@pytest.fixture
def django_defaults() -> None:
    """Make Django's settings usable for building responses (its defaults, when unset)."""
    from django.conf import settings  # noqa: PLC0415 - configured on demand, only here

    if not settings.configured:
        settings.configure()


def shipped(package: str, origin: Origin) -> Definitions:
    result = discover_package(package, origin)
    assert result.errors == []
    return define_plugins(result.candidates, host_version=HOST_VERSION)


def shipped_registry(active: list[str]) -> tuple[Registry, FakeHost]:
    builtin = discover_package("plughost.plugins.builtin", Origin.BUILTIN)
    samples = discover_package("plughost.plugins.samples", Origin.SAMPLE)
    definitions = define_plugins(builtin.candidates + samples.candidates, host_version=HOST_VERSION)
    host = FakeHost(active=active)
    host.definitions = definitions.by_key
    return build_registry(definitions, active_keys=set(active), host=host), host


def patterns(urls: Sequence[object]) -> list[URLPattern | URLResolver]:
    return cast("list[URLPattern | URLResolver]", list(urls))


def serve(plugin: UrlsMixin, url: str, username: str = "testuser") -> Any:
    urls = plugin.urls
    assert urls is not None
    match = URLResolver(RegexPattern(r"^"), patterns(urls)).resolve(url)
    request = HttpRequest()
    request.user = SimpleNamespace(username=username)  # type: ignore[assignment]
    return match.func(request, *match.args, **match.kwargs)


# Builtin ------------------------------------------------------------------------------------
def test_builtin_plugins_are_discovered_as_mandatory() -> None:
    definitions = shipped("plughost.plugins.builtin", Origin.BUILTIN)
    assert definitions.errors == ()
    assert set(definitions.by_key) == {
        "inventreecorenotificationsplugin",
        "plughost",
        "plughostinfo",
    }
    for definition in definitions.by_key.values():
        assert definition.is_builtin
        assert definition.is_mandatory
        assert not definition.is_sample
    for key in ("plughost", "plughostinfo"):
        assert definitions.by_key[key].meta.author == "Plughost contributors"
        assert definitions.by_key[key].meta.version == plughost.__version__


def test_core_notifications_plugin_is_inventrees() -> None:
    definition = shipped("plughost.plugins.builtin", Origin.BUILTIN).by_key[
        "inventreecorenotificationsplugin"
    ]
    assert definition.name == "InvenTreeCoreNotificationsPlugin"
    assert (definition.meta.author, definition.meta.version) == ("InvenTree contributors", "1.0.0")
    assert [key for key, _ in definition.mixins] == ["base", "settings", "settingscontent"]
    specs = definition.settings
    assert list(specs) == [
        "ENABLE_NOTIFICATION_EMAILS",
        "ENABLE_NOTIFICATION_SLACK",
        "NOTIFICATION_SLACK_URL",
    ]
    assert specs["ENABLE_NOTIFICATION_EMAILS"].default_value() == "False"
    assert specs["ENABLE_NOTIFICATION_SLACK"].default_value() == "False"
    assert specs["NOTIFICATION_SLACK_URL"].protected
    assert specs["NOTIFICATION_SLACK_URL"].default_value() == ""


def test_host_plugin_declares_the_host_switches() -> None:
    definition = shipped("plughost.plugins.builtin", Origin.BUILTIN).by_key["plughost"]
    assert definition.name == "Plughost"
    assert definition.meta.human_name == "Plughost host settings"
    assert [key for key, _ in definition.mixins] == ["base", "settings"]
    assert list(definition.settings) == [*HOST_SWITCHES, "CURRENCY_UPDATE_PLUGIN"]
    for key in HOST_SWITCHES:
        spec = definition.settings[key]
        assert spec.type is SettingType.BOOLEAN
        assert spec.default_value() == "True"
        assert spec.name
        assert spec.description
    assert "/plugin/<key>/" in definition.settings["ENABLE_PLUGINS_URL"].description
    currency = definition.settings["CURRENCY_UPDATE_PLUGIN"]
    assert (currency.type, currency.default_value()) == (SettingType.STRING, "")


def test_host_switches_are_read_through_the_registry() -> None:
    registry, host = shipped_registry(active=[])
    plugin = registry.find_plugin("plughost")
    assert isinstance(plugin, PlughostPlugin)
    assert plugin.is_active()
    assert plugin.is_enabled("ENABLE_PLUGINS_URL") is True
    plugin.set_setting("ENABLE_PLUGINS_URL", "false")
    assert host.stored[("plughost", "ENABLE_PLUGINS_URL")] == "False"
    assert plugin.is_enabled("ENABLE_PLUGINS_URL") is False
    with pytest.raises(InvalidSettingValueError):
        plugin.set_setting("ENABLE_PLUGINS_EVENTS", "banana")


@pytest.mark.usefixtures("django_defaults")
def test_info_plugin_serves_health() -> None:
    registry, _ = shipped_registry(active=[])
    plugin = registry.find_plugin("plughostinfo")
    assert isinstance(plugin, UrlsMixin)
    assert plugin.mixin_enabled("urls")
    response = serve(plugin, "health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "status": "ok",
        "key": "plughostinfo",
        "version": plughost.__version__,
    }


# Samples ------------------------------------------------------------------------------------
def test_samples_are_discovered_with_inventree_keys() -> None:
    definitions = shipped("plughost.plugins.samples", Origin.SAMPLE)
    for definition in definitions.by_key.values():
        assert definition.is_sample
        assert not definition.is_builtin
    assert {key: [m for m, _ in d.mixins] for key, d in definitions.by_key.items()} == {
        "sample": ["base", "navigation", "urls", "settings"],
        "sampleversion": ["base"],
        "nointegrationplugin": ["base"],
        "wrongintegrationplugin": ["base", "urls"],
        "schedule": ["base", "settings", "schedule"],
        "sampleevent": ["base", "events"],
        "filteredsampleevent": ["base", "events"],
        "simpleaction": ["base", "action"],
        "sample-api-caller": ["base", "settings", "api_call"],
        "samplecurrencyexchange": ["base", "currencyexchange"],
    }


def test_sampleversion_is_recorded_as_incompatible() -> None:
    definitions = shipped("plughost.plugins.samples", Origin.SAMPLE)
    assert definitions.by_key["sampleversion"].compatible is False
    assert [(e.stage, e.name) for e in definitions.errors] == [(Stage.VERSION, "sampleversion")]
    registry, _ = shipped_registry(active=["sampleversion"])
    assert not registry.is_loaded("sampleversion")


def test_samples_load_only_when_active() -> None:
    registry, _ = shipped_registry(active=["sample", "wrongintegrationplugin"])
    assert sorted(registry.instances) == [
        "inventreecorenotificationsplugin",
        "plughost",
        "plughostinfo",
        "sample",
        "wrongintegrationplugin",
    ]
    assert [(e.stage, e.name) for e in registry.errors] == [(Stage.VERSION, "sampleversion")]
    sample = registry.instances["sample"]
    wrong = registry.instances["wrongintegrationplugin"]
    assert sample.mixin_enabled("urls")
    assert wrong.mixin("urls")
    assert not wrong.mixin_enabled("urls")
    assert not sample.is_builtin
    assert sample.is_sample
    assert sample.human_name == "Sample Plugin"


def test_sample_settings_specs() -> None:
    settings = shipped("plughost.plugins.samples", Origin.SAMPLE).by_key["sample"].settings
    assert list(settings) == [
        "PO_FUNCTION_ENABLE",
        "API_KEY",
        "NUMERICAL_SETTING",
        "CHOICE_SETTING",
        "PROTECTED_SETTING",
        "VALIDATOR_SETTING",
        "SELECT_USER",
    ]
    summary = {
        key: (spec.name, spec.type.api_name, spec.default_value(), spec.required, spec.protected)
        for key, spec in settings.items()
    }
    assert summary == {
        "PO_FUNCTION_ENABLE": ("Enable PO", "boolean", "True", False, False),
        "API_KEY": ("API Key", "string", "", True, False),
        "NUMERICAL_SETTING": ("Numerical", "integer", "123", False, False),
        "CHOICE_SETTING": ("Choice Setting", "string", "A", False, False),
        "PROTECTED_SETTING": ("Protected Setting", "string", "ABC-123", False, True),
        "VALIDATOR_SETTING": ("JSON validator Setting", "string", "", False, False),
        "SELECT_USER": ("User", "related field", "", False, False),
    }
    assert settings["PO_FUNCTION_ENABLE"].description == "Enable PO functionality"
    assert settings["API_KEY"].description == "Key required for accessing external API"
    assert settings["NUMERICAL_SETTING"].description == "A numerical setting"
    assert settings["SELECT_USER"].description == "Select a user"
    assert settings["SELECT_USER"].model == "auth.user"
    assert settings["CHOICE_SETTING"].choice_pairs() == [
        ("A", "Anaconda"),
        ("B", "Bat"),
        ("C", "Cat"),
        ("D", "Dog"),
    ]


def test_sample_setting_values_are_validated() -> None:
    settings = shipped("plughost.plugins.samples", Origin.SAMPLE).by_key["sample"].settings
    assert settings["NUMERICAL_SETTING"].clean(456) == "456"
    with pytest.raises(InvalidSettingValueError, match="greater than or equal to 0"):
        settings["NUMERICAL_SETTING"].clean(-1)
    with pytest.raises(InvalidSettingValueError, match="integer"):
        settings["NUMERICAL_SETTING"].clean("abc")
    assert settings["CHOICE_SETTING"].clean("D") == "D"
    with pytest.raises(InvalidSettingValueError, match="not a valid option"):
        settings["CHOICE_SETTING"].clean("E")
    assert settings["VALIDATOR_SETTING"].clean('{"ts": 13}') == '{"ts": 13}'
    with pytest.raises(InvalidSettingValueError, match="Enter valid JSON") as caught:
        settings["VALIDATOR_SETTING"].clean("{invalid")
    assert caught.value.setting == "VALIDATOR_SETTING"
    assert isinstance(caught.value.__cause__, ValidationError)


def test_sample_check_settings_wants_an_api_key() -> None:
    registry, _ = shipped_registry(active=["sample"])
    plugin = registry.instances["sample"]
    assert isinstance(plugin, SettingsMixin)
    assert plugin.check_settings() == (False, ["API_KEY"])
    plugin.set_setting("API_KEY", "secret")
    assert plugin.check_settings() == (True, [])


@pytest.mark.usefixtures("django_defaults")
@pytest.mark.parametrize("url", ["hi/", "ho/he/", "ho/ha/"])
def test_sample_urls_greet_the_user(url: str) -> None:
    response = serve(SampleIntegrationPlugin(), url)
    assert response.status_code == 200
    assert response.content == b"Hi there testuser this works"


def test_sample_navigation_link_reverses_to_its_url() -> None:
    plugin = SampleIntegrationPlugin()
    assert plugin.NAVIGATION == [{"name": "SampleIntegration", "link": "plugin:sample:hi"}]
    assert plugin.navigation_name == "Sample Nav"
    urls = plugin.urls
    assert urls is not None
    mounted = [path(plugin.base_url, include((patterns(urls), plugin.slug)))]
    urlconf = ModuleType("sample_urlconf")
    urlconf.urlpatterns = [path("", include((mounted, "plugin")))]  # type: ignore[attr-defined]
    # Django accepts a module as urlconf; its stubs say str.
    assert reverse("plugin:sample:hi", urlconf=urlconf) == "/plugin/sample/hi/"  # type: ignore[arg-type]
    assert reverse("plugin:sample:he", urlconf=urlconf) == "/plugin/sample/ho/he/"  # type: ignore[arg-type]
