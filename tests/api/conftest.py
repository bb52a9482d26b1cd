"""Fixtures of the API tier: a fresh registry holder for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import Settings

from plughost.core.registry import Registry
from plughost.runtime import holder
from plughost.services.registry import Discovery, rebuild


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
