"""Fixtures of the db tier: the worker fixture plugins and a registry that loads them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import Settings

from plughost.core.registry import Registry
from plughost.runtime import holder
from plughost.services.registry import Discovery, rebuild
from tests.db.worker_support import FIXTURE_PLUGINS


@pytest.fixture
def plugin_folder(tmp_path: Path) -> Path:
    """A private copy of the worker fixture plugins (tests drop a flag file into it)."""
    folder = tmp_path / "worker_plugins"
    shutil.copytree(FIXTURE_PLUGINS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture
def worker_registry(
    db: None, data_dir: Path, settings: Settings, plugin_folder: Path
) -> Iterator[Registry]:
    """A registry with the samples and the worker fixture plugins, none of them active."""
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    settings.PLUGHOST_PLUGIN_DIRS = (plugin_folder,)
    holder.reset()
    yield rebuild(Discovery.RECOLLECT)
    holder.reset()
