"""A plugin host inside the test process, for plugin authors' tests (pytest + pytest-django).

Enable it in the plugin project's ``tests/conftest.py``::

    pytest_plugins = ["plughost.testing"]

and write tests with the ``plugin_host`` fixture::

    def test_greeting(plugin_host):
        host = plugin_host(MyPlugin)          # discovered, loaded and active
        assert host.plugin("my-plugin").get_setting("GREETING") == "Hello"
        response = host.client.get("/api/plugins/my-plugin/")   # a superuser's API client
        assert response.status_code == 200

Unless the project configures Django itself, this module points ``DJANGO_SETTINGS_MODULE``
at plughost's settings with a throwaway data folder, and pytest-django gives each test a
fresh database. The plugin is found through the module that defines its class, so the
project need not be installed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

if TYPE_CHECKING:
    from plughost.core.plugin import InvenTreePlugin
    from plughost.testing.host import PluginTestHost

SETTINGS_MODULE = "plughost.server.settings"

_data_dir: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Configure Django with plughost's settings unless the project chose its own."""
    global _data_dir  # noqa: PLW0603 - one throwaway folder per test session
    del config
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    if os.environ["DJANGO_SETTINGS_MODULE"] != SETTINGS_MODULE:
        return
    if "PLUGHOST_DATA_DIR" not in os.environ:
        _data_dir = tempfile.mkdtemp(prefix="plughost-test-")
        os.environ["PLUGHOST_DATA_DIR"] = _data_dir
    os.environ.setdefault("PLUGHOST_SECRET_KEY", "plughost-testing-only-secret-key")
    # Loading the settings now lets pytest-django call django.setup() in its own configure
    # hook, which runs after this one.
    from django.conf import settings  # noqa: PLC0415 - only once the environment is set

    _ = settings.INSTALLED_APPS


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the throwaway data folder."""
    del config
    if _data_dir is not None:
        shutil.rmtree(_data_dir, ignore_errors=True)


@pytest.fixture
def plugin_host(
    db: None, settings: Settings, tmp_path: Path
) -> Iterator[Callable[..., PluginTestHost]]:
    """Return ``start(*plugin_classes, active=True) -> PluginTestHost``.

    The host discovers its builtin plugins and the modules defining ``plugin_classes``,
    activates those plugins unless ``active=False``, and logs its client in as a superuser.
    """
    # Models exist only after django.setup(), which runs after this module is imported.
    from plughost.testing import host  # noqa: PLC0415

    settings.PLUGHOST_DATA_DIR = tmp_path
    settings.PLUGHOST_PLUGIN_DIR = tmp_path / "plugins"
    settings.PLUGHOST_PLUGINS_FILE = tmp_path / "plugins.txt"
    settings.PLUGHOST_SAMPLE_PLUGINS = False
    settings.PLUGHOST_PLUGIN_DIRS = ()

    def start(*plugin_classes: type[InvenTreePlugin], active: bool = True) -> PluginTestHost:
        modules = tuple(dict.fromkeys(cls.__module__ for cls in plugin_classes))
        settings.PLUGHOST_PLUGIN_MODULES = modules
        return host.start_host(plugin_classes, active=active)

    host.reset()
    yield start
    host.reset()
