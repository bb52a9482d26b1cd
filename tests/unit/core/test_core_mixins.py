"""What each mixin offers a plugin author."""

from __future__ import annotations

from typing import Any

import pytest
from plugin_factory import FakeHost, load, make_plugin

from plughost.core.errors import InvalidSettingValueError, MixinNotImplementedError
from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import (
    ActionMixin,
    APICallMixin,
    CurrencyExchangeMixin,
    EventMixin,
    NavigationMixin,
    ScheduleMixin,
    SettingsMixin,
    UrlsMixin,
)

SETTINGS: dict[str, dict[str, Any]] = {
    "ENABLED": {"validator": bool, "default": True},
    "COUNT": {"validator": int, "default": 123},
    "API_KEY": {"required": True},
    "LAZY": {"default": lambda: "computed"},
}


class Configured(SettingsMixin, InvenTreePlugin):
    NAME = "Configured"
    SETTINGS = SETTINGS


# SettingsMixin ----------------------------------------------------------------------------------
def test_unbound_get_setting_returns_declared_defaults() -> None:
    plugin = Configured()
    assert plugin.get_setting("ENABLED") is True
    assert plugin.get_setting("COUNT") == 123
    assert plugin.get_setting("API_KEY") == ""
    assert plugin.get_setting("LAZY") == "computed"
    assert plugin.get_setting("UNDECLARED") == ""
    assert plugin.get_setting("UNDECLARED", backup_value="fallback") == "fallback"
    assert plugin.settings is SETTINGS


def test_unbound_set_setting_is_refused() -> None:
    with pytest.raises(MixinNotImplementedError, match="not loaded by a host"):
        Configured().set_setting("COUNT", 5)


def test_bound_settings_go_through_the_host() -> None:
    host = FakeHost(active=["configured"])
    plugin = load(Configured, active=["configured"], host=host).instances["configured"]
    assert isinstance(plugin, SettingsMixin)
    assert plugin.get_setting("COUNT") == 123
    plugin.set_setting("COUNT", "456")
    assert host.stored[("configured", "COUNT")] == "456"
    assert plugin.get_setting("COUNT") == 456
    plugin.set_setting("ENABLED", False)
    assert host.stored[("configured", "ENABLED")] == "False"
    assert plugin.get_setting("ENABLED") is False
    assert plugin.get_setting("UNDECLARED") == ""
    with pytest.raises(InvalidSettingValueError) as caught:
        plugin.set_setting("COUNT", "many")
    assert caught.value.setting == "COUNT"


def test_check_settings_lists_missing_required_keys() -> None:
    host = FakeHost(active=["configured"])
    plugin = load(Configured, active=["configured"], host=host).instances["configured"]
    assert isinstance(plugin, SettingsMixin)
    assert plugin.check_settings() == (False, ["API_KEY"])
    plugin.set_setting("API_KEY", "secret")
    assert plugin.check_settings() == (True, [])
    assert plugin.get_settings_dict() == {
        "ENABLED": True,
        "COUNT": 123,
        "API_KEY": "secret",
        "LAZY": "computed",
    }


# UrlsMixin ----------------------------------------------------------------------------------
def test_urls_mixin_names_its_mount_point() -> None:
    plugin = make_plugin("Web Hooks", UrlsMixin, URLS=["a", "b"])()
    assert isinstance(plugin, UrlsMixin)
    assert plugin.base_url == "plugin/web-hooks/"
    assert plugin.internal_name == "plugin:web-hooks:"
    assert plugin.urls == ["a", "b"]
    assert plugin.urlpatterns == ["a", "b"]
    assert plugin.mixin_enabled("urls")


def test_urls_mixin_without_urls_is_not_enabled() -> None:
    plugin = make_plugin("Quiet", UrlsMixin)()
    assert isinstance(plugin, UrlsMixin)
    assert plugin.urls is None
    assert plugin.urlpatterns is None
    assert not plugin.mixin_enabled("urls")


def test_setup_urls_is_called_once() -> None:
    calls: list[int] = []

    class Built(UrlsMixin, InvenTreePlugin):
        NAME = "Built"

        def setup_urls(self) -> list[object]:
            calls.append(1)
            return ["x"]

    plugin = Built()
    assert plugin.urls == ["x"]
    assert plugin.urls == ["x"]
    assert calls == [1]


# NavigationMixin ----------------------------------------------------------------------------
def test_navigation_name_falls_back_to_name() -> None:
    assert NavigationMixin().navigation_name == ""
    named = make_plugin("Nav", NavigationMixin, NAVIGATION_TAB_NAME="Tab")()
    assert isinstance(named, NavigationMixin)
    assert named.navigation_name == "Tab"
    assert named.NAVIGATION_TAB_ICON == "fas fa-question"


# APICallMixin -------------------------------------------------------------------------------
class Caller(APICallMixin, SettingsMixin, InvenTreePlugin):
    NAME = "Sample API Caller"
    API_URL_SETTING = "API_URL"
    API_TOKEN_SETTING = "API_TOKEN"
    SETTINGS = {
        "API_TOKEN": {"protected": True, "default": "tok"},
        "API_URL": {"default": "reqres.in/api"},
    }


def test_api_build_url_args_joins_lists_with_commas() -> None:
    assert Caller().api_build_url_args({"a": "b", "c": ["d", "efgh", 1337]}) == "?a=b&c=d,efgh,1337"


def test_api_build_url_args_encodes_special_characters() -> None:
    query = Caller().api_build_url_args({"q": "a b&c=d", "list": ["x/y", "ü"], "n": 1})
    assert query == "?q=a+b%26c%3Dd&list=x%2Fy,%C3%BC&n=1"


def test_api_url_and_headers_come_from_settings() -> None:
    plugin = Caller()
    assert plugin.slug == "sample-api-caller"
    assert plugin.api_url == "https://reqres.in/api"
    assert plugin.api_headers == {
        "Bearer": "tok",
        "Authorization": "Bearer tok",
        "Content-Type": "application/json",
    }
    assert plugin.mixin_enabled("api_call")


def test_api_call_mixin_needs_its_setting_names() -> None:
    plugin = make_plugin("Unset", APICallMixin, SettingsMixin)()
    assert isinstance(plugin, APICallMixin)
    assert not plugin.mixin_enabled("api_call")
    with pytest.raises(MixinNotImplementedError, match="API_URL_SETTING"):
        _ = plugin.api_url
    # No token setting, no token: public APIs need none (InvenTree's rule).
    assert plugin.api_headers == {"Content-Type": "application/json"}


def test_api_call_mixin_needs_settings_mixin() -> None:
    plugin = make_plugin("Alone", APICallMixin, API_URL_SETTING="U", API_TOKEN_SETTING="T")()
    assert isinstance(plugin, APICallMixin)
    with pytest.raises(MixinNotImplementedError, match="needs SettingsMixin"):
        _ = plugin.api_url


def test_api_call_refuses_data_and_json_together() -> None:
    with pytest.raises(ValueError, match="either pass `data` or `json`"):
        Caller().api_call("users", data={"a": 1}, json={"b": 2})


# ActionMixin --------------------------------------------------------------------------------
def test_action_get_response_combines_result_and_info() -> None:
    class Simple(ActionMixin, InvenTreePlugin):
        NAME = "SimpleActionPlugin"
        ACTION_NAME = "simple"

        def get_result(self, user: object = None, data: object = None) -> bool:
            return True

        def get_info(self, user: object = None, data: object = None) -> object:
            return {"user": user, "data": data}

    plugin = Simple()
    assert plugin.action_name() == "simple"
    assert plugin.get_response("alice", {"x": 1}) == {
        "action": "simple",
        "result": True,
        "info": {"user": "alice", "data": {"x": 1}},
    }


def test_action_name_falls_back_to_name() -> None:
    plugin = make_plugin("Fallback", ActionMixin)()
    assert isinstance(plugin, ActionMixin)
    assert plugin.action_name() == "Fallback"
    assert plugin.get_response() == {"action": "Fallback", "result": False, "info": None}


# Other mixins ---------------------------------------------------------------------------------
def test_event_mixin_wants_everything_and_requires_process_event() -> None:
    plugin = make_plugin("Listener", EventMixin)()
    assert isinstance(plugin, EventMixin)
    assert plugin.wants_process_event("part.saved")
    with pytest.raises(MixinNotImplementedError, match="process_event"):
        plugin.process_event("part.saved")
    assert isinstance(MixinNotImplementedError(), NotImplementedError)


def test_currency_exchange_mixin_requires_an_implementation() -> None:
    plugin = make_plugin("Rates", CurrencyExchangeMixin)()
    assert isinstance(plugin, CurrencyExchangeMixin)
    with pytest.raises(MixinNotImplementedError):
        plugin.update_exchange_rates("USD", ["EUR"])


def test_schedule_mixin_without_tasks_is_not_enabled() -> None:
    plugin = make_plugin("Idle", ScheduleMixin)()
    assert not plugin.mixin_enabled("schedule")
