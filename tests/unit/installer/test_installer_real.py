"""Real pip runs: fixture wheels from a loopback index into a throwaway venv.

Bounded: a handful of pip runs against 127.0.0.1, nothing from the internet,
nothing installed into the environment running the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plughost.core.errors import InstallError
from plughost.installer.environment import take_snapshot
from plughost.installer.operations import (
    ChangeKind,
    dry_run,
    host_conflicts,
    install,
    restore,
    uninstall,
)
from plughost.installer.requests import parse_install_request
from plughost.installer.runner import PackageTool, Runner, find_uv
from tests.fixtures.builder import Breakage, FixtureBuilder
from tests.fixtures.index_server import PackageIndex

pytestmark = pytest.mark.e2e

GOOD = "plughost-fixture-good"


@pytest.fixture
def pip_runner(throwaway_python: Path) -> Runner:
    return Runner(python=str(throwaway_python), tool=PackageTool.PIP, timeout=120)


@pytest.fixture(scope="module")
def good_releases(fixture_builder: FixtureBuilder) -> None:
    fixture_builder.build("good", "1.0.0")
    fixture_builder.build("good", "2.0.0")
    fixture_builder.build("good", "3.0.0", breakage=Breakage.IMPORT)


def entry_points(runner: Runner) -> list[str]:
    code = (
        "import importlib.metadata, json;"
        "print(json.dumps(sorted(e.value for e in "
        "importlib.metadata.entry_points(group='inventree_plugins'))))"
    )
    return list(json.loads(runner.run_python(code).output[-1]))


@pytest.mark.usefixtures("good_releases")
def test_install_dry_run_restore_and_uninstall(
    pip_runner: Runner, package_index: PackageIndex
) -> None:
    first = install(parse_install_request(GOOD, "1.0.0", package_index.url), runner=pip_runner)
    assert first.changes.added == {GOOD: "1.0.0"}
    assert entry_points(pip_runner) == ["plughost_fixture_good.plugin:GoodPlugin"]

    report = dry_run(parse_install_request(GOOD, "2.0.0", package_index.url), runner=pip_runner)
    assert [(c.name, c.version, c.previous, c.kind) for c in report.changes] == [
        (GOOD, "2.0.0", "1.0.0", ChangeKind.UPGRADE)
    ]
    assert take_snapshot(pip_runner) == first.after  # the dry run changed nothing

    broken = install(parse_install_request(GOOD, "3.0.0", package_index.url), runner=pip_runner)
    assert broken.changes.changed == {GOOD: ("1.0.0", "3.0.0")}
    restored = restore(broken.before, runner=pip_runner, index_url=package_index.url)
    assert restored.reverted.changed == {GOOD: ("1.0.0", "3.0.0")}
    assert take_snapshot(pip_runner).version_of(GOOD) == "1.0.0"

    removed = uninstall(GOOD, runner=pip_runner)
    assert removed.removed == {GOOD: "1.0.0"}
    assert take_snapshot(pip_runner) == first.before


def test_failed_install_leaves_the_environment_as_it_was(
    pip_runner: Runner, package_index: PackageIndex
) -> None:
    before = take_snapshot(pip_runner)

    with pytest.raises(InstallError) as caught:
        install(parse_install_request("no-such-plugin", None, package_index.url), runner=pip_runner)

    assert take_snapshot(pip_runner) == before
    assert any("no-such-plugin" in line for line in caught.value.output)


def test_dry_run_names_the_host_packages_a_plugin_would_change(
    pip_runner: Runner, package_index: PackageIndex, fixture_builder: FixtureBuilder
) -> None:
    fixture_builder.build("conflict", "1.0.0")
    fixture_builder.build("fake-django")
    before = take_snapshot(pip_runner)

    report = dry_run(
        parse_install_request("plughost-fixture-conflict", None, package_index.url),
        runner=pip_runner,
    )

    assert {(c.name, c.kind) for c in report.changes} == {
        ("plughost-fixture-conflict", ChangeKind.INSTALL),
        ("django", ChangeKind.INSTALL),
    }
    assert host_conflicts(report, ["Django", "packaging"]) == ["django 3.2.99 (install)"]
    assert take_snapshot(pip_runner) == before


@pytest.mark.usefixtures("good_releases")
def test_index_credentials_are_masked_everywhere(
    pip_runner: Runner, fixture_builder: FixtureBuilder
) -> None:
    with PackageIndex(fixture_builder.out_dir, credentials=("plug", "s3cret")) as index:
        result = install(parse_install_request(GOOD, "1.0.0", index.url), runner=pip_runner)
        with pytest.raises(InstallError) as caught:
            install(parse_install_request("absent-plugin", None, index.url), runner=pip_runner)

    assert result.changes.added == {GOOD: "1.0.0"}
    texts = [*result.command, *result.output, caught.value.message, *caught.value.output]
    assert not [text for text in texts if "s3cret" in text]
    assert any("plug:****@" in text for text in result.command)


@pytest.mark.skipif(find_uv() is None, reason="uv is not installed here")
@pytest.mark.usefixtures("good_releases")
def test_uv_installs_and_uninstalls(throwaway_python: Path, package_index: PackageIndex) -> None:
    runner = Runner(python=str(throwaway_python), tool=PackageTool.UV, timeout=120)

    result = install(parse_install_request(GOOD, "2.0.0", package_index.url), runner=runner)
    assert result.changes.added == {GOOD: "2.0.0"}
    assert uninstall(GOOD, runner=runner).removed == {GOOD: "2.0.0"}
