"""The plugin base class: keys, metadata fallbacks and the mixins field."""

from __future__ import annotations

from datetime import datetime

import pytest
from plugin_factory import define, load, make_plugin

from plughost.core.definition import Candidate, Origin, define_plugins
from plughost.core.plugin import InvenTreePlugin, slugify
from plughost.mixins import (
    AppMixin,
    BarcodeMixin,
    NavigationMixin,
    SettingsMixin,
    SupplierBarcodeMixin,
    UrlsMixin,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sample API Caller", "sample-api-caller"),
        ("SimplePlugin", "simpleplugin"),
        ("  Spaced   out  ", "spaced-out"),
        ("Ünïcode Plügin!", "unicode-plugin"),
        ("a_b-c", "a_b-c"),
        ("--trim--", "trim"),
        ("what?#&", "what"),
    ],
)
def test_slugify_behaves_like_django(text: str, expected: str) -> None:
    assert slugify(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Sample API Caller",
        "Ünïcode Plügin!",
        "  a--b__c  ",
        "x.y/z",
        "ÆØÅ ß",
        "tab\tnew\nline",
        123,
    ],
)
def test_slugify_matches_django_itself(text: object) -> None:
    django_text = pytest.importorskip("django.utils.text")
    assert slugify(text) == django_text.slugify(text)


def test_a_non_string_name_still_gives_a_key() -> None:
    assert make_plugin("Numbered", NAME=123).plugin_key() == "123"


def test_key_comes_from_name_when_there_is_no_slug() -> None:
    assert make_plugin("Sample API Caller").plugin_key() == "sample-api-caller"


def test_key_prefers_slug_over_name() -> None:
    plugin = make_plugin("SampleIntegrationPlugin", SLUG="sample")
    assert plugin.plugin_key() == "sample"
    assert plugin().slug == "sample"


def test_slug_is_slugified() -> None:
    assert make_plugin("X", SLUG="My Slug").plugin_key() == "my-slug"


def test_bare_base_class_has_empty_identity() -> None:
    plugin = InvenTreePlugin()
    assert (plugin.name, plugin.slug, plugin.human_name, plugin.description) == ("", "", "", "")
    assert (plugin.version, plugin.website, plugin.license) == (None, None, None)
    assert plugin.is_active() is False


def test_unbound_instance_falls_back_to_class_constants() -> None:
    plugin = make_plugin("SimplePlugin")()
    assert plugin.slug == "simpleplugin"
    assert plugin.human_name == "SimplePlugin"
    assert plugin.description == "SimplePlugin"
    assert plugin.pub_date == ""
    assert plugin.is_builtin is False


def test_unbound_instance_returns_constants_verbatim() -> None:
    plugin = make_plugin(
        "X",
        SLUG="a",
        TITLE="a title",
        AUTHOR="someone",
        DESCRIPTION="what it does",
        VERSION="1.2.3a",
        WEBSITE="https://example.org",
        LICENSE="MIT",
        PUBLISH_DATE="1111-11-11",
    )()
    assert plugin.human_name == "a title"
    assert plugin.pub_date == datetime(1111, 11, 11, 0, 0)
    assert (plugin.author, plugin.description, plugin.version) == (
        "someone",
        "what it does",
        "1.2.3a",
    )
    assert (plugin.website, plugin.license) == ("https://example.org", "MIT")


def test_meta_fallbacks_without_package() -> None:
    meta = define(make_plugin("SimplePlugin")).by_key["simpleplugin"].meta
    assert meta.slug == "simpleplugin"
    assert meta.human_name == "SimplePlugin"
    assert meta.description == "SimplePlugin"
    assert meta.author == "No author found"
    assert meta.pub_date == ""
    assert (meta.version, meta.website, meta.license) == (None, None, None)
    assert meta.package_path == "Simpleplugin.py"
    assert meta.settings_url == "/settings/#select-plugin-simpleplugin"


def test_meta_publish_date_is_the_str_of_a_datetime() -> None:
    meta = define(make_plugin("Dated", PUBLISH_DATE="2023-04-05")).by_key["dated"].meta
    assert meta.pub_date == "2023-04-05 00:00:00"


def test_meta_falls_back_to_package_metadata() -> None:
    cls = make_plugin("Packaged")
    candidate = Candidate(
        cls=cls,
        origin=Origin.PACKAGE,
        package_path="packaged.plugin",
        package_name="inventree-packaged",
        package_metadata={
            "summary": "From the summary",
            "author": "Pkg Author <a@example.org>",
            "version": "2.0.1",
            "website": "https://pkg.example.org",
            "license": "GPL",
        },
    )
    definition = define_plugins([candidate], host_version="0.16.0").by_key["packaged"]
    assert definition.meta.as_dict() == {
        "slug": "packaged",
        "human_name": "Packaged",
        "description": "From the summary",
        "author": "Pkg Author <a@example.org>",
        "pub_date": "",
        "version": "2.0.1",
        "website": "https://pkg.example.org",
        "license": "GPL",
        "package_path": "packaged.plugin",
        "settings_url": "/settings/#select-plugin-packaged",
    }
    assert definition.package_name == "inventree-packaged"
    assert definition.is_package


def test_class_constants_win_over_package_metadata() -> None:
    cls = make_plugin("Own", DESCRIPTION="mine", AUTHOR="me", VERSION="0.1")
    candidate = Candidate(
        cls=cls,
        origin=Origin.PACKAGE,
        package_path="own",
        package_metadata={"summary": "theirs", "author": "them", "version": "9"},
    )
    meta = define_plugins([candidate], host_version="0.16.0").by_key["own"].meta
    assert (meta.description, meta.author, meta.version) == ("mine", "me", "0.1")


def test_bound_instance_reads_its_definition() -> None:
    registry = load(make_plugin("Bound", AUTHOR=None), active=["bound"])
    plugin = registry.instances["bound"]
    assert plugin.author == "No author found"
    assert plugin.package_path == "Bound.py"
    assert plugin.is_active() is True


def test_mixins_are_listed_base_first_then_reverse_base_order() -> None:
    class Plugin(AppMixin, SettingsMixin, UrlsMixin, NavigationMixin, InvenTreePlugin):
        NAME = "Ordered"

    assert [key for key, _ in Plugin.registered_mixin_keys()] == [
        "base",
        "navigation",
        "urls",
        "settings",
        "app",
    ]
    assert define(Plugin).by_key["ordered"].mixins_dict() == {
        "base": {"key": "base", "human_name": "base"},
        "navigation": {"key": "navigation", "human_name": "Navigation Links"},
        "urls": {"key": "urls", "human_name": "URLs"},
        "settings": {"key": "settings", "human_name": "Settings"},
        "app": {"key": "app", "human_name": "App registration"},
    }


def test_supplier_barcode_registers_barcode_too() -> None:
    class Supplier(SupplierBarcodeMixin, SettingsMixin, InvenTreePlugin):
        NAME = "Supplier"

    assert Supplier.registered_mixin_keys() == [
        ("base", "base"),
        ("settings", "Settings"),
        ("barcode", "Barcode"),
        ("supplier-barcode", "Barcode"),
    ]


def test_mixin_subclass_without_own_key_adds_nothing() -> None:
    class MyBarcode(BarcodeMixin):
        pass

    class Plugin(MyBarcode, InvenTreePlugin):
        NAME = "P"

    assert [key for key, _ in Plugin.registered_mixin_keys()] == ["base", "barcode"]


def test_mixin_enabled_depends_on_declarations() -> None:
    plain = make_plugin("Plain", UrlsMixin, SettingsMixin)()
    assert plain.mixin("urls")
    assert plain.mixin("settings")
    assert not plain.mixin_enabled("urls")
    assert not plain.mixin_enabled("settings")
    assert plain.mixin_enabled("base")
    assert not plain.mixin_enabled("navigation")

    full = make_plugin("Full", UrlsMixin, SettingsMixin, URLS=["x"], SETTINGS={"A": {}})()
    assert full.mixin_enabled("urls")
    assert full.mixin_enabled("settings")
