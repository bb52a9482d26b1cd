"""Fixtures for the installer tests.

The real-install fixtures (``fixture_builder``, ``package_index``, ``standard_packages``,
``throwaway_python``) come from ``tests/fixtures/pytest_plugin.py``, which the top-level
``conftest.py`` registers.
"""
