"""Fixtures for the installer tests.

The real-install fixtures live in ``tests/fixtures/pytest_plugin.py``. Until
the top-level conftest registers that module with ``pytest_plugins``, import
its fixtures here; the repository root must be importable for that, so it is
put on ``sys.path`` when a plain ``pytest`` run (not ``python -m pytest``)
left it off.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fixtures.pytest_plugin import (  # noqa: E402
    fixture_builder,
    package_index,
    standard_packages,
    throwaway_python,
)

__all__ = ["fixture_builder", "package_index", "standard_packages", "throwaway_python"]
