"""``plughost worker`` and ``plughost serve --with-worker`` on the command line."""

from __future__ import annotations

import pytest

from plughost.cli.main import build_parser


def test_worker_takes_no_options() -> None:
    options = build_parser().parse_args(["worker"])

    assert (options.command, options.parent_pid) == ("worker", None)


def test_serve_starts_a_worker_only_when_asked() -> None:
    assert build_parser().parse_args(["serve"]).with_worker is False
    assert build_parser().parse_args(["serve", "--with-worker"]).with_worker is True


def test_the_parent_pid_must_be_a_pid() -> None:
    assert build_parser().parse_args(["worker", "--parent-pid", "42"]).parent_pid == 42
    with pytest.raises(SystemExit):
        build_parser().parse_args(["worker", "--parent-pid", "zero"])
