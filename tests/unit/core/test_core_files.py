"""A file several processes may create at once appears whole, and only once."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from plughost.core import files
from plughost.core.files import create_once


def test_the_first_text_is_written_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / "node_id"

    assert create_once(path, "first") == "first"
    assert create_once(path, "second") == "first"
    assert path.read_text(encoding="utf-8") == "first\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["node_id"]  # no temp file left


def test_a_process_that_loses_the_race_reads_the_winners_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The winner has linked its file into place; the loser's link fails and it reads.
    path = tmp_path / "node_id"
    real_link = os.link
    linked = threading.Event()

    def link_then_let_the_other_go(source: str, target: Path) -> None:
        real_link(source, target)
        linked.set()

    monkeypatch.setattr(files.os, "link", link_then_let_the_other_go)
    winner = threading.Thread(target=create_once, args=(path, "winner"))
    winner.start()
    linked.wait(5.0)
    monkeypatch.setattr(files.os, "link", real_link)

    assert create_once(path, "loser") == "winner"
    winner.join(5.0)


def test_many_racing_creators_agree_on_one_text(tmp_path: Path) -> None:
    path = tmp_path / "node_id"
    results: list[str] = []
    start = threading.Barrier(8)

    def create(number: int) -> None:
        start.wait(5.0)
        results.append(create_once(path, f"text-{number}"))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5.0)

    assert len(results) == 8
    assert len(set(results)) == 1
    assert results[0].startswith("text-")
    assert path.read_text(encoding="utf-8").strip() == results[0]
