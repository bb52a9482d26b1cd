"""Discovery: host packages, plugin folders and entry points."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from plughost.core.definition import Origin, Stage
from plughost.core.discovery import (
    ENTRY_POINT_GROUP,
    discover_entry_points,
    discover_folder,
    discover_package,
    plugin_classes,
)
from plughost.core.plugin import InvenTreePlugin

PLUGIN_SOURCE = """
from plughost import InvenTreePlugin
from plughost.mixins import SettingsMixin


class {cls}(SettingsMixin, InvenTreePlugin):
    NAME = "{name}"
    SETTINGS = {{"A": {{"default": "x"}}}}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def clean_modules() -> Iterator[None]:
    """Forget the modules a test imports, so tests stay independent."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


# Module scanning ----------------------------------------------------------------------------
def test_plugin_classes_skip_imported_and_nameless_classes() -> None:
    module = ModuleType("scanned")

    class Named(InvenTreePlugin):
        NAME = "Named"

    class Nameless(InvenTreePlugin):
        pass

    class Inherits(Named):
        pass

    for cls in (Named, Nameless, Inherits):
        cls.__module__ = "scanned"
        setattr(module, cls.__name__, cls)
    module.InvenTreePlugin = InvenTreePlugin  # type: ignore[attr-defined]
    module.Imported = type("Imported", (InvenTreePlugin,), {"NAME": "Imported"})  # type: ignore[attr-defined]
    module.NotAPlugin = type("NotAPlugin", (), {"NAME": "Nope", "__module__": "scanned"})  # type: ignore[attr-defined]
    assert list(plugin_classes(module)) == [Named]


# Folders ----------------------------------------------------------------------------------
@pytest.mark.usefixtures("clean_modules")
def test_folder_finds_single_files_and_packages(tmp_path: Path) -> None:
    write(tmp_path / "single.py", PLUGIN_SOURCE.format(cls="Single", name="Single File"))
    write(tmp_path / "pkg" / "__init__.py", "from .impl import Packaged as Packaged\n")
    write(tmp_path / "pkg" / "impl.py", PLUGIN_SOURCE.format(cls="Packaged", name="Packaged"))
    write(tmp_path / "notes.txt", "not python")
    write(tmp_path / "_private.py", PLUGIN_SOURCE.format(cls="Hidden", name="Hidden"))
    write(tmp_path / "nopkg" / "module.py", PLUGIN_SOURCE.format(cls="Loose", name="Loose"))

    result = discover_folder(tmp_path)

    assert result.errors == []
    assert [(c.cls.NAME, c.origin, c.package_path) for c in result.candidates] == [
        ("Packaged", Origin.FOLDER, f"{tmp_path.name}/pkg"),
        ("Single File", Origin.FOLDER, f"{tmp_path.name}/single.py"),
    ]
    assert result.candidates[1].cls.plugin_key() == "single-file"


@pytest.mark.usefixtures("clean_modules")
def test_a_broken_file_is_recorded_and_the_walk_continues(tmp_path: Path) -> None:
    write(tmp_path / "a_good.py", PLUGIN_SOURCE.format(cls="Good", name="Good"))
    write(tmp_path / "broken_file.py", "bb\n")
    write(tmp_path / "z_good.py", PLUGIN_SOURCE.format(cls="Later", name="Later"))

    result = discover_folder(tmp_path)

    assert [c.cls.NAME for c in result.candidates] == ["Good", "Later"]
    [error] = result.errors
    assert (error.stage, error.name) == (Stage.DISCOVERY, "broken_file")
    assert error.message == "NameError: name 'bb' is not defined"
    assert not any(name.endswith(".broken_file") for name in sys.modules)


@pytest.mark.usefixtures("clean_modules")
def test_a_broken_package_submodule_is_recorded(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "bad.py", "raise RuntimeError('bad submodule')\n")
    write(tmp_path / "other.py", PLUGIN_SOURCE.format(cls="Other", name="Other"))

    result = discover_folder(tmp_path)

    assert [c.cls.NAME for c in result.candidates] == ["Other"]
    assert [(e.stage, e.name) for e in result.errors] == [(Stage.DISCOVERY, "pkg")]
    assert "bad submodule" in result.errors[0].message


@pytest.mark.usefixtures("clean_modules")
def test_a_plugin_file_does_not_shadow_the_standard_library(tmp_path: Path) -> None:
    write(tmp_path / "json.py", PLUGIN_SOURCE.format(cls="JsonPlugin", name="Json Plugin"))

    result = discover_folder(tmp_path)

    [candidate] = result.candidates
    assert candidate.cls.plugin_key() == "json-plugin"
    assert candidate.cls.__module__ != "json"
    assert sys.modules["json"] is json
    assert json.dumps({"a": 1}) == '{"a": 1}'


@pytest.mark.usefixtures("clean_modules")
def test_rediscovery_reads_the_file_again(tmp_path: Path) -> None:
    path = write(tmp_path / "changing.py", PLUGIN_SOURCE.format(cls="C", name="Before"))
    assert [c.cls.NAME for c in discover_folder(tmp_path).candidates] == ["Before"]
    path.write_text(PLUGIN_SOURCE.format(cls="C", name="After"))
    assert [c.cls.NAME for c in discover_folder(tmp_path).candidates] == ["After"]


def test_two_folders_with_same_file_names_do_not_collide(tmp_path: Path) -> None:
    write(tmp_path / "one" / "plugin.py", PLUGIN_SOURCE.format(cls="P", name="One"))
    write(tmp_path / "two" / "plugin.py", PLUGIN_SOURCE.format(cls="P", name="Two"))
    first = discover_folder(tmp_path / "one").candidates
    second = discover_folder(tmp_path / "two").candidates
    assert [c.cls.NAME for c in first + second] == ["One", "Two"]


def test_a_missing_folder_finds_nothing(tmp_path: Path) -> None:
    result = discover_folder(tmp_path / "absent")
    assert (result.candidates, result.errors) == ([], [])


# Host packages --------------------------------------------------------------------------------
@pytest.mark.usefixtures("clean_modules")
def test_package_walk_records_broken_modules_and_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"hostpkg_{uuid.uuid4().hex[:8]}"
    write(tmp_path / name / "__init__.py", "")
    write(tmp_path / name / "a_first.py", PLUGIN_SOURCE.format(cls="First", name="First"))
    write(tmp_path / name / "b_broken.py", "import does_not_exist_anywhere\n")
    write(tmp_path / name / "c_sub" / "__init__.py", "raise RuntimeError('broken subpackage')\n")
    write(tmp_path / name / "d_sub" / "__init__.py", "")
    write(tmp_path / name / "d_sub" / "deep.py", PLUGIN_SOURCE.format(cls="Deep", name="Deep"))
    monkeypatch.syspath_prepend(str(tmp_path))

    result = discover_package(name, Origin.SAMPLE)

    assert [(c.cls.NAME, c.origin) for c in result.candidates] == [
        ("First", Origin.SAMPLE),
        ("Deep", Origin.SAMPLE),
    ]
    assert [(e.stage, e.name) for e in result.errors] == [
        (Stage.DISCOVERY, f"{name}.b_broken"),
        (Stage.DISCOVERY, f"{name}.c_sub"),
    ]
    assert "ModuleNotFoundError" in result.errors[0].message
    assert "broken subpackage" in result.errors[1].message


def test_a_missing_package_is_a_discovery_error() -> None:
    result = discover_package("no_such_package_here", Origin.BUILTIN)
    assert result.candidates == []
    assert [(e.stage, e.name) for e in result.errors] == [(Stage.DISCOVERY, "no_such_package_here")]


# Entry points ---------------------------------------------------------------------------------
class FakeMetadata(dict[str, str]):
    def __init__(self, fields: dict[str, str], project_urls: list[str]) -> None:
        super().__init__(fields)
        self.project_urls = project_urls

    def get_all(self, name: str) -> list[str] | None:
        return (self.project_urls or None) if name == "Project-URL" else None


class FakeDist:
    def __init__(
        self, name: str, version: str, project_urls: list[str] | None = None, **metadata: str
    ) -> None:
        self.name = name
        self.version = version
        self.metadata = FakeMetadata(metadata, project_urls or [])


class FakeEntryPoint:
    def __init__(self, name: str, value: str, target: Any, dist: FakeDist | None = None) -> None:
        self.name = name
        self.value = value
        self.group = ENTRY_POINT_GROUP
        self.dist = dist
        self._target = target

    def load(self) -> Any:
        if isinstance(self._target, BaseException):
            raise self._target
        return self._target


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, *fakes: FakeEntryPoint) -> None:
    def entry_points(*, group: str) -> list[FakeEntryPoint]:
        return list(fakes) if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


class ZapierPlugin(InvenTreePlugin):
    NAME = "inventree_zapier"
    SLUG = "zapier"


def test_entry_points_are_loaded_with_package_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    dist = FakeDist(
        "inventree-zapier",
        "0.3.1",
        project_urls=[
            "Changelog, https://example.org/changes",
            "Homepage, https://github.com/example/zapier",
        ],
        Summary="Zapier integration",
        **{"Author-email": "dev@example.org", "License-Expression": "MIT"},
    )
    fake_entry_points(
        monkeypatch, FakeEntryPoint("zapier", "inventree_zapier:ZapierPlugin", ZapierPlugin, dist)
    )

    result = discover_entry_points()

    assert result.errors == []
    [candidate] = result.candidates
    assert candidate.cls is ZapierPlugin
    assert candidate.origin is Origin.PACKAGE
    assert candidate.package_name == "inventree-zapier"
    assert candidate.package_path == __name__
    assert candidate.package_metadata == {
        "summary": "Zapier integration",
        "author": "dev@example.org",
        "version": "0.3.1",
        "website": "https://github.com/example/zapier",
        "license": "MIT",
    }


def test_package_metadata_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    dist = FakeDist(
        "plain",
        "1.0",
        project_urls=["Changelog, https://example.org/changes"],
        Author="Someone",
        **{"Author-email": "ignored@example.org", "Home-page": "https://plain.example.org"},
    )
    bare = FakeDist("bare", "", project_urls=["Docs, https://docs.example.org"])
    fake_entry_points(
        monkeypatch,
        FakeEntryPoint("plain", "plain:Plugin", ZapierPlugin, dist),
        FakeEntryPoint("bare", "bare:Plugin", ZapierPlugin, bare),
    )
    plain, bare_candidate = discover_entry_points().candidates
    assert plain.package_metadata == {
        "author": "Someone",
        "version": "1.0",
        "website": "https://plain.example.org",
    }
    assert bare_candidate.package_metadata == {"website": "https://docs.example.org"}


def test_broken_and_wrong_entry_points_are_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(
        monkeypatch,
        FakeEntryPoint("broken", "broken_pkg:Plugin", ImportError("no module broken_pkg")),
        FakeEntryPoint("notaclass", "os:getcwd", len),
        FakeEntryPoint("notaplugin", "pkg:Thing", dict, FakeDist("thing-pkg", "1.0")),
        FakeEntryPoint("zapier", "inventree_zapier:ZapierPlugin", ZapierPlugin),
        FakeEntryPoint("zapier", "inventree_zapier:ZapierPlugin", ZapierPlugin),
    )

    result = discover_entry_points()

    assert [c.cls for c in result.candidates] == [ZapierPlugin]
    assert result.candidates[0].package_name is None
    assert [(e.stage, e.name) for e in result.errors] == [
        (Stage.DISCOVERY, "broken"),
        (Stage.DISCOVERY, "notaclass"),
        (Stage.DISCOVERY, "thing-pkg"),
    ]
    assert result.errors[0].message == "ImportError: no module broken_pkg"
    assert "'notaclass' = os:getcwd is not a plugin class" in result.errors[1].message


def test_real_entry_points_of_an_unknown_group_are_empty() -> None:
    assert discover_entry_points("plughost_tests_no_such_group").candidates == []
