"""``plughost new-plugin``: names derived from what the author typed, files written once."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from plughost.cli.scaffold import Names, ScaffoldError, derive_names, scaffold


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        (
            "hello-world",
            Names("hello-world", "hello_world", "HelloWorldPlugin", "Hello World", "HelloWorld"),
        ),
        (
            "Hello World",
            Names("hello-world", "hello_world", "HelloWorldPlugin", "Hello World", "HelloWorld"),
        ),
        (
            "stock_sync",
            Names("stock-sync", "stock_sync", "StockSyncPlugin", "Stock Sync", "StockSync"),
        ),
        (
            "label-plugin",
            Names("label-plugin", "label_plugin", "LabelPlugin", "Label Plugin", "LabelPlugin"),
        ),
    ],
)
def test_names_are_derived(typed: str, names: Names) -> None:
    assert derive_names(typed) == names


@pytest.mark.parametrize("typed", ["", "---", "9lives", "!!!"])
def test_unusable_names_are_refused(typed: str) -> None:
    with pytest.raises(ScaffoldError, match="cannot name a plugin"):
        derive_names(typed)


def test_the_package_has_an_entry_point_a_plugin_and_a_test(tmp_path: Path) -> None:
    root = scaffold("hello-world", tmp_path)

    assert root == tmp_path / "hello-world"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "README.md",
        "hello_world/__init__.py",
        "hello_world/plugin.py",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/test_plugin.py",
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["inventree_plugins"] == {
        "hello-world": "hello_world.plugin:HelloWorldPlugin"
    }
    for source in root.rglob("*.py"):
        ast.parse(source.read_text(), filename=str(source))
    plugin = (root / "hello_world" / "plugin.py").read_text()
    assert "from plugin import InvenTreePlugin" in plugin
    assert 'SLUG = "hello-world"' in plugin


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "hello-world").mkdir()
    (tmp_path / "hello-world" / "mine.txt").write_text("keep me")

    with pytest.raises(ScaffoldError, match="exists and is not empty"):
        scaffold("hello-world", tmp_path)
    assert (tmp_path / "hello-world" / "mine.txt").read_text() == "keep me"
