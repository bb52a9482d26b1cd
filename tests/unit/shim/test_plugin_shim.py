"""InvenTree's import surface (``plugin``) gives plughost's own objects, not copies."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import pytest

import plughost
import plughost.mixins
from plughost.core import errors
from plughost.core.plugin import InvenTreePlugin

INVENTREE_MIXINS = [
    "SettingsMixin",
    "UrlsMixin",
    "EventMixin",
    "ScheduleMixin",
    "ActionMixin",
    "APICallMixin",
    "AppMixin",
    "NotificationMixin",
    "CurrencyExchangeMixin",
    "ValidationMixin",
    "NavigationMixin",
    "SettingsContentMixin",
    "UserInterfaceMixin",
    "PanelMixin",
    "ReportMixin",
    "LabelPrintingMixin",
    "LocateMixin",
    "BarcodeMixin",
    "SupplierBarcodeMixin",
]


def test_top_level_names_are_plughosts() -> None:
    from plugin import (  # noqa: PLC0415 - importing is what is tested
        InvenTreePlugin as Shimmed,
    )
    from plugin import (  # noqa: PLC0415
        MixinImplementationError,
        MixinNotImplementedError,
    )

    assert Shimmed is InvenTreePlugin is plughost.InvenTreePlugin
    assert MixinImplementationError is errors.MixinImplementationError
    assert MixinNotImplementedError is errors.MixinNotImplementedError


@pytest.mark.parametrize("name", INVENTREE_MIXINS)
def test_every_inventree_mixin_is_plughosts(name: str) -> None:
    shim = importlib.import_module("plugin.mixins")

    assert getattr(shim, name) is getattr(plughost.mixins, name)


def test_the_shim_lists_what_plughost_lists() -> None:
    shim = importlib.import_module("plugin.mixins")

    assert shim.__all__ == plughost.mixins.__all__


def test_helpers_and_models_are_plughosts() -> None:
    helpers = importlib.import_module("plugin.helpers")
    models = importlib.import_module("plugin.models")
    db_models = importlib.import_module("plughost.db.models")

    assert helpers.MixinImplementationError is errors.MixinImplementationError
    assert models.PluginConfig is db_models.PluginConfig
    assert models.PluginSetting is db_models.PluginSetting


def test_a_plugin_written_for_inventree_is_a_plughost_plugin() -> None:
    from plugin import InvenTreePlugin as Base  # noqa: PLC0415
    from plugin.mixins import ActionMixin, SettingsMixin  # noqa: PLC0415

    class Hello(ActionMixin, SettingsMixin, Base):
        NAME = "Hello"
        SETTINGS = {"GREETING": {"default": "Hi"}}

    plugin = Hello()
    assert isinstance(plugin, InvenTreePlugin)
    assert plugin.registered_mixin_keys() == [
        ("base", "base"),
        ("settings", "Settings"),
        ("action", "Actions"),
    ]
    assert plugin.plugin_name() == "Hello"
    assert plugin.get_setting("GREETING") == "Hi"


def test_plugin_files_and_static_urls() -> None:
    class Static(InvenTreePlugin):
        NAME = "Static Things"

    plugin = Static()
    assert plugin.file() == Path(__file__)
    assert plugin.path() == Path(__file__).parent
    assert plugin.plugin_static_file("js", "app.js") == "/static/plugins/static-things/js/app.js"
    assert plugin.plugin_static_file("/css/x.css") == "/static/plugins/static-things/css/x.css"


def test_plugin_loggers_are_children_of_inventree(caplog: pytest.LogCaptureFixture) -> None:
    class Talker(InvenTreePlugin):
        NAME = "Talker"

    plugin = Talker()
    with caplog.at_level(logging.INFO, logger="inventree"):
        plugin.logger.info("hello from %s", plugin.slug)

    assert plugin.logger.name == "inventree.plugin.talker"
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("inventree.plugin.talker", "hello from talker")
    ]
