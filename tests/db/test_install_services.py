"""The install services below the API: the lock, the audit log, the desired set, start-up.

Real pip runs are in ``tests/api/test_install_packages.py`` and ``tests/e2e``; here only
what needs no package index, plus one start-up run against an index that is down.
"""

from __future__ import annotations

import importlib.metadata
import socket
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.utils import timezone
from pytest_django import Settings

from plughost.core.errors import InstallBusyError
from plughost.db.models import AuditEntry, PluginConfig, PluginPackage
from plughost.runtime import holder
from plughost.server.config import read_config
from plughost.services import desired, missing_packages
from plughost.services import plugins as plugin_service
from plughost.services.audit import Actor
from plughost.services.install_lock import install_lock, is_locked
from plughost.services.install_target import top_level_modules
from plughost.services.registry import Discovery, rebuild
from tests.fixtures.pytest_plugin import make_layered_venv

ADMIN = Actor(username="admin", address="10.0.0.7")


@pytest.fixture
def samples(db: None, data_dir: Path, settings: Settings) -> None:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)


def add_package(name: str, requirement: str, *, version: str = "", index_url: str = "") -> None:
    PluginPackage.objects.create(
        name=name,
        requirement=requirement,
        version=version,
        index_url=index_url,
        installed_at=timezone.now(),
        installed_by="admin",
    )


# --- the lock -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_lock_keeps_out_a_second_holder_in_another_thread() -> None:
    held, done = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with install_lock("install a by alice", lease_seconds=60):
                held.set()
                done.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(10)
    try:
        with pytest.raises(InstallBusyError) as caught, install_lock("install b", lease_seconds=60):
            pass
        assert is_locked()
    finally:
        done.set()
        thread.join(10)

    assert "(install a by alice)" in caught.value.message
    assert not is_locked()
    with install_lock("install b", lease_seconds=60):
        assert is_locked()


@pytest.mark.django_db
def test_the_lock_is_free_again_after_a_failure() -> None:
    with pytest.raises(RuntimeError), install_lock("install x", lease_seconds=60):
        raise RuntimeError("pip exploded")

    assert not is_locked()


# --- the audit log --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_failed_change_is_recorded_although_its_transaction_rolls_back(
    data_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)

    def explode(change: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    # The bump of a transaction (SQLite), or the one statement of flag, bump and entry.
    monkeypatch.setattr(plugin_service, "bump_version", explode)
    monkeypatch.setattr(plugin_service, "write_and_bump", explode)

    with pytest.raises(RuntimeError):
        plugin_service.activate("sample", actor=ADMIN)

    assert not PluginConfig.objects.get(key="sample").active  # the change rolled back
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.address, entry.action, entry.target, entry.result) == (
        "admin",
        "10.0.0.7",
        "activate",
        "sample",
        "failed",
    )
    assert entry.message == "RuntimeError: the database went away"
    holder.reset()


@pytest.mark.usefixtures("samples")
def test_changes_without_an_actor_are_not_audited() -> None:
    plugin_service.activate("sample")
    plugin_service.deactivate("sample")

    assert not AuditEntry.objects.exists()


# --- the desired set ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "version", "index_url", "expected"),
    [
        ("good==1.0", "1.0", "https://pkgs.example.com/simple/", "good==1.0 from https://"),
        ("good>=1", "1.4.2", "", "good==1.4.2"),
        ("good[extra]", "2.0", "", "good[extra]==2.0"),
        ("good @ git+https://example.com/good.git@v1", "1", "", "good@ git+https://"),
    ],
)
def test_a_missing_package_is_reinstalled_at_its_recorded_version(
    requirement: str, version: str, index_url: str, expected: str
) -> None:
    package = desired.DesiredPackage("good", requirement, index_url, version, False)

    target = package.reinstall_target()

    assert target.describe().replace(" ", "").startswith(expected.replace(" ", ""))
    assert target.requirement_line() is not None


@pytest.mark.django_db
def test_the_plugins_file_mirrors_the_set_and_keeps_other_lines(data_dir: Path) -> None:
    plugins_file = data_dir / "plugins.txt"
    plugins_file.write_text("# mine\nsomething-by-hand\n-r /etc/passwd\n")
    add_package("good", "good==1.0", version="1.0", index_url="https://u:pw@host/simple/")

    desired.sync_plugins_file()

    assert plugins_file.read_text() == "# mine\nsomething-by-hand\ngood==1.0\n"


# --- start-up -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_start_up_skips_what_is_installed_and_survives_an_index_that_is_down(
    data_dir: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PLUGHOST_INSTALL_PYTHON = str(make_layered_venv(tmp_path / "env"))
    settings.PLUGHOST_INSTALL_TIMEOUT = 2  # the installer retries a refused connection
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/simple/"
    packaging_version = importlib.metadata.version("packaging")
    add_package("packaging", f"packaging=={packaging_version}", version=packaging_version)
    add_package(
        "plughost-fixture-absent", "plughost-fixture-absent==1.0", version="1.0", index_url=dead
    )
    PluginPackage.objects.filter(name="plughost-fixture-absent").update(allow_host_changes=True)

    outcomes = missing_packages.install_missing_packages()

    assert [(o.package, o.ok) for o in outcomes] == [
        ("packaging", True),
        ("plughost-fixture-absent", False),
    ]
    assert "plughost-fixture-absent" in outcomes[1].message or "timed out" in outcomes[1].message
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.result) == ("(system)", "install", "failed")
    assert not is_locked()
    assert "plughost-fixture-absent==1.0" in (data_dir / "plugins.txt").read_text()


@pytest.mark.django_db
def test_start_up_waits_for_a_running_install_then_gives_up(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_package("good", "good==1.0", version="1.0")
    monkeypatch.setattr(missing_packages, "STARTUP_WAIT_SECONDS", 0.2)

    with install_lock("install x by alice", lease_seconds=60):
        outcomes = missing_packages.install_missing_packages()

    assert [(o.package, o.ok) for o in outcomes] == [("good", False)]
    assert "(install x by alice)" in outcomes[0].message


# --- the install environment ----------------------------------------------------------------


def test_the_install_python_must_be_an_absolute_interpreter_path(tmp_path: Path) -> None:
    assert read_config({"PLUGHOST_INSTALL_PYTHON": sys.executable}).install_python == (
        sys.executable
    )
    assert read_config({}).install_python is None
    for bad in ("python3", str(tmp_path / "missing"), str(tmp_path)):
        with pytest.raises(ImproperlyConfigured, match="PLUGHOST_INSTALL_PYTHON"):
            read_config({"PLUGHOST_INSTALL_PYTHON": bad})


def test_modules_of_the_hosts_own_packages_are_never_forgotten() -> None:
    assert top_level_modules({"Django", "packaging", "plughost"}) == set()
