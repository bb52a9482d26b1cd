"""A node already in step with the desired set says so without listing packages in a subprocess."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from django.utils import timezone

from plughost.core.errors import InstallError
from plughost.db.models import PluginPackage
from plughost.services import reconcile

pytestmark = pytest.mark.django_db


def want(name: str, version: str) -> None:
    PluginPackage.objects.create(
        name=name,
        requirement=name,
        version=version,
        installed_at=timezone.now(),
        installed_by="admin",
    )


@pytest.fixture
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise InstallError("the fast path listed packages in a subprocess")

    monkeypatch.setattr(reconcile, "take_snapshot", refuse)


@pytest.mark.usefixtures("no_subprocess")
def test_installed_at_the_wanted_version_is_in_step_without_a_subprocess(data_dir: Path) -> None:
    want("packaging", importlib.metadata.version("packaging"))

    outcome = reconcile.reconcile_node()

    assert (outcome.ok, outcome.message) == (True, "in step with the desired set (1 packages)")
    assert json.loads((data_dir / reconcile.ADOPTED_FILE).read_text()) == ["packaging"]


@pytest.mark.usefixtures("no_subprocess")
def test_a_missing_package_takes_the_full_path(data_dir: Path) -> None:
    want("plughost-not-installed-anywhere", "1.0.0")

    outcome = reconcile.reconcile_node()

    # The full path lists the packages (refused here): the node reports it is out of step.
    assert outcome.ok is False
    assert "the fast path listed packages in a subprocess" in outcome.message
