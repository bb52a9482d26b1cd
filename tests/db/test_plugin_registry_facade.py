"""``plugin.registry.registry``: InvenTree's registry calls, answered from plughost's snapshot."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import Settings

from plughost.runtime import holder
from plughost.services.registry import Discovery, rebuild

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def samples(settings: Settings, data_dir: Path) -> Iterator[None]:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    settings.PLUGHOST_PLUGIN_DIRS = ()
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    yield
    holder.reset()


def facade() -> object:
    return importlib.import_module("plugin.registry").registry


def test_from_plugin_import_registry_works_before_and_after_the_submodule_import() -> None:
    import plugin  # noqa: PLC0415 - the import order is what is tested

    first = plugin.registry
    importlib.import_module("plugin.registry")
    second = plugin.registry  # now the submodule: it answers the same calls

    for registry in (first, second):
        assert registry.get_plugin("plughost") is not None
        assert "plughost" in registry.plugins


def test_get_plugin_finds_loaded_plugins_only() -> None:
    from plugin.registry import registry  # noqa: PLC0415

    assert registry.get_plugin("plughost") is holder.current().find_plugin("plughost")
    assert registry.get_plugin("plughost", active=True) is not None
    assert registry.get_plugin("plughost", active=False) is None
    assert registry.get_plugin("sample") is None
    assert registry.get_plugin("nope") is None


def test_set_plugin_state_activates_and_deactivates() -> None:
    from plugin.registry import registry  # noqa: PLC0415

    registry.set_plugin_state("sample", True)
    assert registry.is_plugin_active("sample")
    assert registry.get_plugin("sample") is not None

    registry.set_plugin_state("sample", False)
    assert not registry.is_plugin_active("sample")
    assert registry.get_plugin("sample") is None


def test_with_mixin_filters_like_inventree() -> None:
    from plugin.registry import registry  # noqa: PLC0415

    registry.set_plugin_state("sample", True)

    assert [p.slug for p in registry.with_mixin("navigation")] == ["sample"]
    assert "sample" in [p.slug for p in registry.with_mixin(" Settings ")]
    assert registry.with_mixin("navigation", active=False) == []
    assert [p.slug for p in registry.with_mixin("navigation", builtin=True)] == []
    assert "plughost" in [p.slug for p in registry.with_mixin("settings", builtin=True)]


def test_call_plugin_function_and_call_function() -> None:
    module = importlib.import_module("plugin.registry")
    registry = module.registry
    registry.set_plugin_state("simpleaction", True)

    assert registry.call_plugin_function("simpleaction", "get_result") is True
    assert module.call_function("simpleaction", "action_name") == "simple"
    assert module.call_function("nope", "anything") is None


def test_errors_are_grouped_by_stage() -> None:
    from plugin.registry import registry  # noqa: PLC0415

    assert list(registry.errors["version"][0]) == ["sampleversion"]


def test_reload_plugins_rebuilds() -> None:
    from plugin.registry import registry  # noqa: PLC0415

    before = holder.current()
    registry.reload_plugins(collect=True)
    assert holder.current() is not before
