"""plugins.txt holds plain requirement lines only, matched by canonical name.

InvenTree 198 replayed any line (options included) at start-up and only
understood ``==`` when matching (behaviour spec 4.3, 9.3, 9.15).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plughost.core.errors import InstallInputError
from plughost.installer.requirements_file import (
    HEADER,
    PluginsFile,
    add_requirement,
    parse_plugins_text,
    read_plugins_file,
    remove_requirement,
    requirement_lines,
    write_plugins_file,
)


def test_round_trip_keeps_comments_blank_lines_and_order(tmp_path: Path) -> None:
    path = tmp_path / "plugins.txt"
    text = "# my plugins\n\nalpha==1.0\nbeta>=2  # pinned later\ngamma @ git+https://h.example.com/g.git\n"
    path.write_text(text)

    content = read_plugins_file(path)
    write_plugins_file(path, content)

    assert path.read_text() == text
    assert content.dropped == ()
    assert [r.name for r in content.requirements()] == ["alpha", "beta", "gamma"]


def test_invalid_lines_are_dropped_with_a_warning_and_never_returned() -> None:
    text = "\n".join(
        [
            "good==1",
            "-r /etc/passwd",
            "--index-url https://evil.example.com/simple",
            "-e git+https://h.example.com/x.git",
            "./local/path",
            "pkg @ file:///tmp/pkg",
            "foo; rm -rf /",
            "https://evil.example.com/x.whl",
        ]
    )

    content = parse_plugins_text(text)

    assert requirement_lines(content) == ["good==1"]
    assert len(content.dropped) == 7
    assert content.dropped[0].startswith("line 2 dropped:")
    assert content.text() == "good==1\n"


def test_duplicate_names_keep_the_first_line() -> None:
    content = parse_plugins_text("My_Plugin==1\nmy-plugin==2\n")

    assert requirement_lines(content) == ["My_Plugin==1"]
    assert "second line for 'my-plugin'" in content.dropped[0]


@pytest.mark.parametrize(
    "existing",
    ["my-plugin==1.0", "My_Plugin>=1", "my.plugin @ git+https://h.example.com/p.git", "my-plugin"],
)
def test_add_replaces_the_line_of_the_same_project_in_place(existing: str) -> None:
    content = parse_plugins_text(f"# head\nalpha\n{existing}\nomega\n")

    updated = content.with_requirement("my-plugin==2.0")

    assert updated.lines == ("# head", "alpha", "my-plugin==2.0", "omega")


def test_add_appends_a_new_project() -> None:
    assert PluginsFile(lines=("alpha",)).with_requirement("beta").lines == ("alpha", "beta")


def test_add_refuses_anything_but_a_requirement() -> None:
    with pytest.raises(InstallInputError):
        PluginsFile().with_requirement("-r /etc/passwd")


def test_remove_matches_any_spelling_and_any_specifier() -> None:
    content = parse_plugins_text("# c\nMy_Plugin>=1\nother\n")

    assert content.without("my-plugin").lines == ("# c", "other")
    assert content.without("absent").lines == content.lines


def test_file_helpers_create_update_and_remove(tmp_path: Path) -> None:
    path = tmp_path / "data" / "plugins.txt"

    add_requirement(path, "alpha==1")
    add_requirement(path, "beta")
    add_requirement(path, "alpha==2")
    assert path.read_text() == HEADER + "alpha==2\nbeta\n"

    remove_requirement(path, "ALPHA")
    assert path.read_text() == HEADER + "beta\n"
    assert read_plugins_file(tmp_path / "missing.txt") == PluginsFile()


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "plugins.txt"
    path.write_text("old\n")

    write_plugins_file(path, PluginsFile(lines=("# new", "new")))

    assert path.read_text() == "# new\nnew\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plugins.txt"]


def test_masks_credentials_in_warnings() -> None:
    content = parse_plugins_text("a @ git+https://u:secret@h.example.com/a\na==1\n")

    assert all("secret" not in warning for warning in content.dropped)
