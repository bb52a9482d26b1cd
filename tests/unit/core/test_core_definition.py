"""define_plugins: keys, reserved names, duplicates, malformed classes."""

from __future__ import annotations

import pytest
from plugin_factory import candidates, define, make_plugin

from plughost.core.definition import Origin, Stage, define_plugins
from plughost.mixins import SettingsMixin


def test_definitions_keep_discovery_order() -> None:
    definitions = define(make_plugin("Zed"), make_plugin("Alpha"), make_plugin("Mid"))
    assert list(definitions.by_key) == ["zed", "alpha", "mid"]
    assert definitions.errors == ()


@pytest.mark.parametrize("key", ["install", "reload", "status", "settings"])
def test_reserved_keys_are_refused(key: str) -> None:
    definitions = define(make_plugin(key.title()), make_plugin("Other"))
    assert list(definitions.by_key) == ["other"]
    [error] = definitions.errors
    assert (error.stage, error.name) == (Stage.VALIDATE, key)
    assert f"/api/plugins/{key}/" in error.message
    assert "SLUG" in error.message


def test_reserved_key_from_slug_is_refused() -> None:
    definitions = define(make_plugin("Innocent", SLUG="Status"))
    assert definitions.by_key == {}
    assert definitions.errors[0].name == "status"


def test_duplicate_key_first_wins_and_second_is_recorded() -> None:
    first = make_plugin("Twin", DESCRIPTION="first")
    second = make_plugin("twin", DESCRIPTION="second")
    second.__name__ = "OtherTwin"
    definitions = define_plugins(
        [
            *candidates(first, origin=Origin.BUILTIN),
            *candidates(second, origin=Origin.FOLDER),
        ],
        host_version="0.16.0",
    )
    assert definitions.by_key["twin"].cls is first
    [error] = definitions.errors
    assert (error.stage, error.name) == (Stage.VALIDATE, "twin")
    assert "fake_plugins.OtherTwin" in error.message
    assert "fake_plugins.Twin (builtin)" in error.message


def test_nameless_class_is_refused() -> None:
    definitions = define(make_plugin(""))
    assert definitions.by_key == {}
    [error] = definitions.errors
    assert (error.stage, error.name) == (Stage.VALIDATE, "Nameless")
    assert "no NAME or SLUG" in error.message


def test_malformed_settings_make_an_invalid_plugin_and_others_still_load() -> None:
    broken = make_plugin(
        "Broken", SettingsMixin, SETTINGS={"A": {"validator": int, "default": "x"}}
    )
    definitions = define(broken, make_plugin("Fine"))
    assert list(definitions.by_key) == ["fine"]
    [error] = definitions.errors
    assert (error.stage, error.name) == (Stage.VALIDATE, "broken")
    assert "default of setting 'A' is invalid" in error.message


def test_bad_publish_date_is_an_invalid_plugin() -> None:
    definitions = define(make_plugin("Dated", PUBLISH_DATE="yesterday"))
    assert definitions.by_key == {}
    assert "PUBLISH_DATE 'yesterday' is not an ISO date" in definitions.errors[0].message


def test_a_class_constant_that_explodes_is_recorded() -> None:
    class Exploding:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    definitions = define(make_plugin("Loud", TITLE=Exploding()))
    assert definitions.by_key == {}
    [error] = definitions.errors
    assert (error.stage, error.name) == (Stage.VALIDATE, "loud")
    assert "boom" in error.message


def test_origin_flags() -> None:
    builtin = define(make_plugin("B"), origin=Origin.BUILTIN).by_key["b"]
    sample = define(make_plugin("S"), origin=Origin.SAMPLE).by_key["s"]
    folder = define(make_plugin("F"), origin=Origin.FOLDER).by_key["f"]
    assert (builtin.is_builtin, builtin.is_mandatory, builtin.is_sample) == (True, True, False)
    assert (sample.is_builtin, sample.is_mandatory, sample.is_sample) == (False, False, True)
    assert (folder.is_builtin, folder.is_sample, folder.is_package) == (False, False, False)


def test_settings_are_found_case_insensitively() -> None:
    definition = define(
        make_plugin("Conf", SettingsMixin, SETTINGS={"API_KEY": {"name": "API Key"}})
    ).by_key["conf"]
    spec = definition.find_setting("api_key")
    assert spec is not None
    assert spec.key == "API_KEY"
    assert definition.find_setting("nope") is None
    assert definition.has_mixin("settings")
    assert not definition.has_mixin("urls")
