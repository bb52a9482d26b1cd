"""Install, uninstall, restore and dry-run logic, against a fake interpreter (no pip)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from plughost.core.errors import InstallConflictError, InstallError, InstallInputError
from plughost.installer.environment import Snapshot, compare, take_snapshot
from plughost.installer.operations import (
    ChangeKind,
    DryRunReport,
    PackageChange,
    check_project_name,
    host_conflicts,
    host_requirement_names,
    install,
    parse_report,
    raise_for_host_conflicts,
    restore,
    uninstall,
)
from plughost.installer.requests import parse_install_request
from plughost.installer.runner import PackageTool, Runner

FAKE = Path(__file__).with_name("fake_python.py")


class FakeEnv:
    """A fake target interpreter whose installed packages live in a JSON file."""

    def __init__(self, tmp_path: Path, installed: dict[str, str], **state: Any) -> None:
        self.state_file = tmp_path / "state.json"
        self.state_file.write_text(json.dumps({"installed": installed, "calls": [], **state}))
        python = tmp_path / "python"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
        python.chmod(0o755)
        self.runner = Runner(
            python=str(python),
            tool=PackageTool.PIP,
            timeout=5,
            env={"PATH": "/usr/bin:/bin", "FAKE_PYTHON_STATE": str(self.state_file)},
        )

    @property
    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        return data


def test_install_reports_what_changed(tmp_path: Path) -> None:
    env = FakeEnv(tmp_path, {"pip": "24"}, on_install={"my-plugin": "1.0", "dep": "2.0"})

    result = install(parse_install_request("my-plugin", "1.0", None), runner=env.runner)

    assert result.changes.added == {"dep": "2.0", "my-plugin": "1.0"}
    assert result.output == ("Collecting things from https://user:****@index.example.com/simple",)
    assert env.state["calls"][0][-1] == "my-plugin==1.0"
    assert "--upgrade" in env.state["calls"][0]


def test_failed_install_restores_the_environment(tmp_path: Path) -> None:
    env = FakeEnv(
        tmp_path,
        {"my-plugin": "1.0", "dep": "1.0"},
        on_install={"my-plugin": "2.0", "dep": "2.0", "newdep": "1.0"},
        install_exit=1,
    )

    with pytest.raises(InstallError) as caught:
        install(
            parse_install_request("my-plugin", "2.0", "https://idx.example.com/simple"),
            runner=env.runner,
        )

    assert env.state["installed"] == {"my-plugin": "1.0", "dep": "1.0"}
    assert "exit code 1" in caught.value.message
    assert "previous packages were restored" in caught.value.message
    assert "ERROR: something went wrong" in caught.value.output
    uninstall_call, reinstall_call = env.state["calls"][1:]
    assert uninstall_call[-2:] == ["--yes", "newdep"]
    assert reinstall_call[-2:] == ["dep==1.0", "my-plugin==1.0"]
    assert {"--no-deps", "--force-reinstall"} <= set(reinstall_call)
    assert "https://idx.example.com/simple" in reinstall_call


def test_timed_out_install_is_an_install_error(tmp_path: Path) -> None:
    env = FakeEnv(tmp_path, {}, on_install={"x": "1"}, install_sleep=30)

    with pytest.raises(InstallError, match=r"timed out after 0\.5 s"):
        install(parse_install_request("x", None, None), runner=env.runner.with_timeout(0.5))

    assert env.state["installed"] == {}


def test_restore_undoes_a_successful_install(tmp_path: Path) -> None:
    env = FakeEnv(tmp_path, {"my-plugin": "1.0"}, on_install={"my-plugin": "2.0", "extra": "1"})
    result = install(parse_install_request("my-plugin", None, None), runner=env.runner)

    restored = restore(result.before, runner=env.runner)

    assert env.state["installed"] == {"my-plugin": "1.0"}
    assert restored.reverted.changed == {"my-plugin": ("1.0", "2.0")}
    assert restored.reverted.added == {"extra": "1"}


def test_restore_with_nothing_changed_runs_no_pip(tmp_path: Path) -> None:
    env = FakeEnv(tmp_path, {"a": "1"})

    restored = restore(take_snapshot(env.runner), runner=env.runner)

    assert restored.reverted.is_empty
    assert env.state["calls"] == []


def test_uninstall_passes_only_a_checked_name(tmp_path: Path) -> None:
    env = FakeEnv(tmp_path, {"my-plugin": "1.0", "other": "1"})

    result = uninstall("My_Plugin", runner=env.runner)

    assert result.removed == {"my-plugin": "1.0"}
    assert env.state["calls"] == [["uninstall", *env.state["calls"][0][1:-2], "--yes", "my-plugin"]]
    with pytest.raises(InstallInputError):
        uninstall("-r/etc/passwd", runner=env.runner)


@pytest.mark.parametrize(
    "name", ["-r/etc/passwd", "foo==1", "foo>=1", "foo[x]", "foo @ git+https://h/x", " foo", "a b"]
)
def test_check_project_name_rejects_anything_but_a_bare_name(name: str) -> None:
    with pytest.raises(InstallInputError) as caught:
        check_project_name(name)
    assert caught.value.field == "package_name"


def test_snapshots_compare() -> None:
    before = Snapshot({"a": "1", "b": "1", "c": "1"})
    after = Snapshot({"a": "1", "b": "2", "d": "1"})

    change = compare(before, after)

    assert (change.added, change.removed, change.changed) == (
        {"d": "1"},
        {"c": "1"},
        {"b": ("1", "2")},
    )
    assert change.describe() == ["changed b 1 -> 2", "removed c 1", "added d 1"]
    assert after.version_of("D") == "1"


def test_parse_report_classifies_each_item() -> None:
    report = {
        "version": "1",
        "install": [
            {"metadata": {"name": "New_Thing", "version": "1.0"}},
            {"metadata": {"name": "Django", "version": "3.2.99"}},
            {"metadata": {"name": "requests", "version": "3.0"}},
            {"metadata": {"name": "same", "version": "1.0"}},
        ],
    }
    installed = Snapshot({"django": "5.2.1", "requests": "2.32", "same": "1.0"})

    changes = parse_report(report, installed)

    assert [(c.name, c.kind) for c in changes] == [
        ("new-thing", ChangeKind.INSTALL),
        ("django", ChangeKind.DOWNGRADE),
        ("requests", ChangeKind.UPGRADE),
        ("same", ChangeKind.REINSTALL),
    ]


@pytest.mark.parametrize("report", [{}, {"install": {}}, {"install": [{"metadata": {}}]}, []])
def test_parse_report_rejects_malformed_reports(report: Any) -> None:
    with pytest.raises(InstallError):
        parse_report(report, Snapshot())


def test_host_conflicts_name_changes_to_host_packages() -> None:
    target = parse_install_request("conflict", None, None)
    report = DryRunReport(
        target=target,
        changes=(
            PackageChange("conflict", "1.0", None),
            PackageChange("django", "3.2.99", "5.2.1"),
            PackageChange("sqlparse", "0.5.0", "0.5.0"),
        ),
    )

    conflicts = host_conflicts(report, ["Django", "sqlparse"])

    assert conflicts == ["django 5.2.1 -> 3.2.99 (downgrade)"]
    assert report.as_dict()["downgrade"] == [
        {"name": "django", "version": "3.2.99", "previous": "5.2.1"}
    ]
    with pytest.raises(InstallConflictError) as caught:
        raise_for_host_conflicts(report, ["django"])
    assert caught.value.conflicts == conflicts
    raise_for_host_conflicts(report, ["requests"])


def test_host_requirement_names_follow_dependencies_recursively() -> None:
    names = host_requirement_names("plughost")

    assert {"plughost", "django", "djangorestframework", "packaging", "asgiref"} <= names
    assert "pytest" not in names  # a dev extra, not a dependency
    assert host_requirement_names("no-such-distribution-here") == {"no-such-distribution-here"}
