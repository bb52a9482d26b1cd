"""What an install or uninstall killed half-way left is undone, unless it had committed.

Real pip runs into a throwaway venv layered on the project's, from the loopback index; the
kill is played by writing the journal of a process that is gone and doing what it did.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django import Settings

from plughost.db.models import InstallLock, PluginPackage
from plughost.installer import operations
from plughost.installer.environment import take_snapshot
from plughost.installer.requests import parse_install_request
from plughost.services import package_journal
from plughost.services.install_lock import LOCK_ID, release_dead_local_holder
from plughost.services.install_target import make_runner
from plughost.services.package_journal import Journal, Operation, journal_path
from plughost.services.state import read_versions
from tests.db.lock_support import dead_holder, hold
from tests.fixtures.builder import FixtureBuilder
from tests.fixtures.index_server import PackageIndex
from tests.fixtures.pytest_plugin import make_layered_venv

pytestmark = pytest.mark.django_db
GOOD = "plughost-fixture-good"


@pytest.fixture(scope="module")
def releases(fixture_builder: FixtureBuilder) -> None:
    fixture_builder.build("good", "1.0.0")
    fixture_builder.build("good", "2.0.0")


@pytest.fixture
def env(tmp_path: Path, settings: Settings, data_dir: Path, releases: None) -> Path:
    python = make_layered_venv(tmp_path / "plugin-env")
    settings.PLUGHOST_INSTALL_PYTHON = str(python)
    settings.PLUGHOST_INSTALL_TIMEOUT = 60
    return python


def write_journal(holder: str, operation: Operation, package: str, index: PackageIndex) -> None:
    """What a process writes before pip runs (and a kill leaves behind)."""
    before = take_snapshot(make_runner())
    journal = Journal(holder, operation, package, index.url, dict(before.versions))
    journal_path().write_text(json.dumps(journal.as_json()))


def pip_install(index: PackageIndex, version: str) -> None:
    target = parse_install_request(GOOD, version, index.url)
    operations.install(target, runner=make_runner())


def record_desired(index: PackageIndex, version: str) -> None:
    PluginPackage.objects.update_or_create(
        name=GOOD,
        defaults={
            "requirement": GOOD,
            "index_url": index.url,
            "version": version,
            "installed_at": timezone.now(),
            "installed_by": "admin",
        },
    )


def installed_version() -> str | None:
    return take_snapshot(make_runner()).version_of(GOOD)


@pytest.mark.usefixtures("env")
def test_an_install_killed_before_its_commit_is_removed_again(
    package_index: PackageIndex,
) -> None:
    holder = dead_holder()
    hold(holder)
    write_journal(holder, Operation.INSTALL, GOOD, package_index)
    pip_install(package_index, "1.0.0")  # pip finished; the process died before the commit
    version_before = read_versions().collect_version

    message = package_journal.recover_interrupted()

    assert message is not None
    assert "was undone" in message
    assert installed_version() is None
    assert not journal_path().exists()
    assert InstallLock.objects.get(pk=LOCK_ID).holder == ""  # the dead holder's lock is free
    assert read_versions().collect_version == version_before + 1  # every process rediscovers


@pytest.mark.usefixtures("env")
def test_an_upgrade_killed_before_its_commit_goes_back_to_the_earlier_version(
    package_index: PackageIndex,
) -> None:
    pip_install(package_index, "1.0.0")
    record_desired(package_index, "1.0.0")
    holder = dead_holder()
    write_journal(holder, Operation.INSTALL, GOOD, package_index)
    pip_install(package_index, "2.0.0")

    message = package_journal.recover_interrupted()

    assert message is not None
    assert "was undone" in message
    assert installed_version() == "1.0.0"


@pytest.mark.usefixtures("env")
def test_an_install_killed_after_its_commit_is_kept(package_index: PackageIndex) -> None:
    holder = dead_holder()
    write_journal(holder, Operation.INSTALL, GOOD, package_index)
    pip_install(package_index, "2.0.0")
    record_desired(package_index, "2.0.0")  # the commit happened; the journal was not removed

    message = package_journal.recover_interrupted()

    assert message is not None
    assert "had committed; kept" in message
    assert installed_version() == "2.0.0"
    assert not journal_path().exists()


@pytest.mark.usefixtures("env")
def test_an_uninstall_killed_before_its_commit_reinstalls_the_package(
    package_index: PackageIndex,
) -> None:
    pip_install(package_index, "1.0.0")
    record_desired(package_index, "1.0.0")
    holder = dead_holder()
    write_journal(holder, Operation.UNINSTALL, GOOD, package_index)
    operations.uninstall(GOOD, runner=make_runner())

    message = package_journal.recover_interrupted()

    assert message is not None
    assert "was undone" in message
    assert installed_version() == "1.0.0"


@pytest.mark.usefixtures("env")
def test_the_journal_of_a_running_operation_is_left_alone(package_index: PackageIndex) -> None:
    running = f"{socket.gethostname()}:{os.getppid()}:cafe0001"  # alive, and holds the lock
    hold(running)
    write_journal(running, Operation.INSTALL, GOOD, package_index)
    pip_install(package_index, "1.0.0")

    assert package_journal.recover_interrupted() is None
    assert installed_version() == "1.0.0"
    assert journal_path().exists()

    # At start-up no operation of this node can be running, whatever the pid says.
    message = package_journal.recover_interrupted(starting=True)
    assert message is not None
    assert installed_version() is None


def test_an_unreadable_journal_is_set_aside(data_dir: Path) -> None:
    journal_path().write_text("{not json")

    assert package_journal.recover_interrupted() is None

    assert not journal_path().exists()
    assert journal_path().with_suffix(".unreadable").read_text() == "{not json"


def test_start_up_frees_a_lock_a_dead_local_process_held() -> None:
    hold(dead_holder())

    assert release_dead_local_holder() is True
    assert InstallLock.objects.get(pk=LOCK_ID).holder == ""


@pytest.mark.parametrize(
    "holder",
    [f"{socket.gethostname()}:{os.getppid()}:cafe0002", "another-node:1:cafe0003"],
)
def test_start_up_keeps_a_lock_a_live_or_remote_holder_has(holder: str) -> None:
    hold(holder)

    assert release_dead_local_holder() is False
    assert InstallLock.objects.get(pk=LOCK_ID).holder == holder
