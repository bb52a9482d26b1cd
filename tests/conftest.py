"""Fixtures shared by every test tier, and the tier markers.

Tests under ``tests/db``, ``tests/api`` and ``tests/e2e`` are marked ``db``,
``api`` and ``e2e`` by their folder, and any test that uses the database is
marked ``db`` too, so ``pytest -m "db or api or e2e"`` picks up everything the
PostgreSQL run must repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from pytest_django import Settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from plughost.server.limits import auth_failures
from plughost.services import failures, nodes

# Fixture wheels, the loopback package index and throwaway venvs (real installs).
pytest_plugins = ["tests.fixtures.pytest_plugin"]

TESTS = Path(__file__).parent
TIERS = ("db", "api", "e2e")
DB_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences"})

Role = Literal["anonymous", "user", "staff", "superuser"]
ApiClientFactory = Callable[[Role], APIClient]

#: The password of every user the ``users`` fixture makes.
PASSWORD = "plughost-test-password"


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        marks = {folder} & set(TIERS)
        if item.get_closest_marker("django_db") or DB_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            marks.add("db")
        for mark in sorted(marks):
            if not item.get_closest_marker(mark):
                item.add_marker(mark)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    # The default hasher takes a noticeable fraction of a second per password.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _forget_worker_state() -> None:
    """``GET /api/`` remembers the worker state for a second: not from test to test."""
    nodes.forget_worker_state()
    failures.forget_recent()


@pytest.fixture(autouse=True)
def _forget_auth_failures() -> Iterator[None]:
    # The failed-authentication counts are process-wide; each test starts with none.
    auth_failures.clear()
    yield
    auth_failures.clear()


@pytest.fixture
def users(db: None) -> dict[Role, User]:
    """Create ``user``, ``staff`` (is_staff) and ``admin`` (superuser), password ``PASSWORD``."""
    return {
        "user": User.objects.create_user("user", password=PASSWORD),
        "staff": User.objects.create_user("staff", password=PASSWORD, is_staff=True),
        "superuser": User.objects.create_superuser("admin", password=PASSWORD),
    }


@pytest.fixture
def api_client(users: dict[Role, User]) -> ApiClientFactory:
    """Return a factory of DRF API clients authenticated by token as the given role."""

    def make(role: Role = "anonymous") -> APIClient:
        client = APIClient()
        if role != "anonymous":
            token, _ = Token.objects.get_or_create(user=users[role])
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def data_dir(tmp_path: Path, settings: Settings) -> Path:
    """Point ``PLUGHOST_DATA_DIR`` and the paths derived from it at a fresh folder."""
    path = tmp_path / "data"
    path.mkdir()
    settings.PLUGHOST_DATA_DIR = path
    settings.PLUGHOST_PLUGIN_DIR = path / "plugins"
    settings.PLUGHOST_PLUGINS_FILE = path / "plugins.txt"
    return path
