"""A reload that collects plugins rediscovers only when what discovery reads has changed."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest
from pytest_django import Settings

from plughost.db.models import PluginConfig
from plughost.runtime import holder
from plughost.services import plugins, sources
from plughost.services.registry import Discovery, rebuild
from plughost.services.sources import sources_fingerprint

pytestmark = pytest.mark.django_db

PLUGIN = """
    from plugin import InvenTreePlugin

    class Edited(InvenTreePlugin):
        NAME = "Edited"
        SLUG = "edited"
        TITLE = {title!r}
    """


@pytest.fixture
def folder(tmp_path: Path, settings: Settings, data_dir: Path) -> Path:
    path = tmp_path / "plugins"
    path.mkdir()
    write(path / "edited.py", "first")
    settings.PLUGHOST_PLUGIN_DIRS = (path,)
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    return path


def write(file: Path, title: str) -> None:
    file.write_text(textwrap.dedent(PLUGIN.format(title=title)))


def title() -> str:
    definition = holder.current().find_definition("edited")
    assert definition is not None
    return str(definition.cls.TITLE)


def test_nothing_changed_on_disk_reuses_the_discovery(folder: Path) -> None:
    before = holder.snapshot.discovery

    rebuild(Discovery.RECOLLECT)

    assert holder.snapshot.discovery is before


def test_a_plugin_file_edited_in_place_is_imported_again(folder: Path) -> None:
    file = folder / "edited.py"
    stat = file.stat()
    write(file, "second")
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # even on coarse clocks

    rebuild(Discovery.RECOLLECT)

    assert title() == "second"


def test_a_new_plugin_file_is_found(folder: Path) -> None:
    (folder / "other.py").write_text(
        "from plugin import InvenTreePlugin\n\n"
        "class Other(InvenTreePlugin):\n    NAME = 'Other'\n    SLUG = 'other'\n"
    )

    rebuild(Discovery.RECOLLECT)

    assert holder.current().find_definition("other") is not None
    assert title() == "first"


def test_a_deleted_config_comes_back_at_the_next_collect(folder: Path) -> None:
    plugins.delete("edited")
    assert not PluginConfig.objects.filter(key="edited").exists()

    rebuild(Discovery.RECOLLECT)

    assert PluginConfig.objects.filter(key="edited").exists()
    assert "edited" in holder.snapshot.configs


def test_a_package_added_within_the_same_timestamp_still_changes_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = sources_fingerprint()
    stat = site.stat()

    (site / "newplugin-1.0.dist-info").mkdir()
    os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # a filesystem with coarse times

    assert sources_fingerprint() != before


def test_a_settled_folder_is_listed_once_while_its_timestamp_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    site = tmp_path / "site-packages"
    (site / "plugin-1.0.dist-info").mkdir(parents=True)
    settled = time.time_ns() - 10 * 10**9
    os.utime(site, ns=(settled, settled))  # last changed well before it is listed
    monkeypatch.syspath_prepend(str(site))
    listed: list[str] = []
    real_listdir = sources.os.listdir

    def listdir(folder: str) -> list[str]:
        listed.append(folder)
        return real_listdir(folder)

    monkeypatch.setattr(sources.os, "listdir", listdir)
    before = sources_fingerprint()
    assert sources_fingerprint() == before
    assert listed.count(str(site)) == 1

    (site / "plugin-2.0.dist-info").mkdir()  # an upgrade: the folder's timestamp moves

    assert sources_fingerprint() != before
    assert listed.count(str(site)) == 2


def test_the_fingerprint_sees_files_in_sub_folders_and_enters_no_symlinked_folder(
    folder: Path,
) -> None:
    package = folder / "pkg" / "inner"
    package.mkdir(parents=True)
    (package / "module.py").write_text("A = 1\n", encoding="utf-8")
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # entered, it never ends
    before = sources_fingerprint()
    assert sources_fingerprint() == before  # nothing changed: the same
    assert str(package / "module.py") in {entry[0] for entry in before}
    assert not any("/loop/" in entry[0] for entry in before)

    (package / "module.py").write_text("A = 22\n", encoding="utf-8")  # another size

    assert sources_fingerprint() != before
