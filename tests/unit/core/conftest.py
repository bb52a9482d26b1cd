"""Fixtures of the core tests."""

from __future__ import annotations

import pytest
from plugin_factory import FakeHost


@pytest.fixture
def host() -> FakeHost:
    """Return an empty in-memory host."""
    return FakeHost()
