"""Fixtures of the API tier: a fresh registry holder for every test; real install targets."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import Settings

from plughost.core.registry import Registry
from plughost.runtime import holder
from plughost.services.registry import Discovery, rebuild
from tests.api.install_support import PluginEnv
from tests.fixtures.builder import Breakage, FixtureBuilder
from tests.fixtures.pytest_plugin import make_layered_venv


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    # The holder is process-global; each test's database starts empty, so must the registry.
    holder.reset()
    yield
    holder.reset()


@pytest.fixture
def registry(db: None, data_dir: Path, settings: Settings) -> Registry:
    """Build the registry with the samples enabled, as ``make run`` does."""
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    settings.PLUGHOST_PLUGIN_DIRS = ()
    return rebuild(Discovery.RECOLLECT)


@pytest.fixture(scope="module")
def releases(fixture_builder: FixtureBuilder) -> None:
    """Every release these tests install or resolve (built once per session)."""
    fixture_builder.build("good", "1.0.0")
    fixture_builder.build("good", "2.0.0")
    fixture_builder.build("good", "3.0.0", breakage=Breakage.IMPORT)
    fixture_builder.build("good", "4.0.0", breakage=Breakage.READY)
    fixture_builder.build("import-fails", "1.0.0")
    fixture_builder.build("ready-fails", "1.0.0")
    fixture_builder.build("conflict", "1.0.0")
    fixture_builder.build("fake-django")


@pytest.fixture
def plugin_env(
    tmp_path: Path, settings: Settings, registry: object, releases: None
) -> Iterator[PluginEnv]:
    """Install into a fresh layered venv; forget its modules and paths afterwards."""
    root = tmp_path / "plugin-env"
    env = PluginEnv(root=root, python=make_layered_venv(root))
    settings.PLUGHOST_INSTALL_PYTHON = str(env.python)
    settings.PLUGHOST_INSTALL_TIMEOUT = 60
    yield env
    prefix = str(root)
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(prefix):
            del sys.modules[name]
    sys.path[:] = [path for path in sys.path if not path.startswith(prefix)]
    importlib.invalidate_caches()
