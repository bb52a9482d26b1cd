"""Plugin code runs within a time limit; a hang is reported, never waited for."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from plughost.core.bounded import BoundedRunner, run
from plughost.core.definition import Candidate, Origin, Stage, define_plugins
from plughost.core.discovery import discover_folder
from plughost.core.errors import PluginTimeoutError
from plughost.core.plugin import InvenTreePlugin
from plughost.core.registry import build_registry

RELEASE = threading.Event()


def test_a_call_that_finishes_returns_its_value() -> None:
    assert BoundedRunner(1.0).call(lambda: 42, what="answer") == 42


def test_a_call_that_raises_reraises_in_the_caller() -> None:
    def fail() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        BoundedRunner(1.0).call(fail, what="failure")


def test_a_call_that_hangs_times_out_and_the_runner_goes_on() -> None:
    runner = BoundedRunner(0.2)
    started = time.monotonic()

    with pytest.raises(PluginTimeoutError, match=r"did not finish within 0\.2 s") as caught:
        runner.call(RELEASE.wait, what="hang", key="stuck")

    assert time.monotonic() - started < 2
    assert caught.value.key == "stuck"
    assert runner.call(lambda: "next", what="after") == "next"
    RELEASE.set()


@pytest.mark.parametrize("runner", [None, BoundedRunner(1.0)], ids=["direct", "bounded"])
def test_sys_exit_in_plugin_code_becomes_an_error(runner: BoundedRunner | None) -> None:
    def leave() -> None:
        raise SystemExit(3)

    with pytest.raises(RuntimeError, match=r"sys.exit\(3\)"):
        run(runner, leave, what="exit")


def test_a_plugin_file_that_hangs_at_import_is_reported(tmp_path: Path) -> None:
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(30)\n", encoding="utf-8")
    (tmp_path / "fine.py").write_text(
        "from plughost import InvenTreePlugin\n\nclass Fine(InvenTreePlugin):\n    NAME = 'Fine'\n",
        encoding="utf-8",
    )

    found = discover_folder(tmp_path, runner=BoundedRunner(0.3))

    assert [c.cls.NAME for c in found.candidates] == ["Fine"]
    assert [(e.stage, e.name) for e in found.errors] == [(Stage.DISCOVERY, "hangs")]
    assert "did not finish within 0.3 s" in found.errors[0].message


class _Host:
    host_version = "0.16.0"

    def is_active(self, key: str) -> bool:
        return True

    def get_setting(self, key: str, setting: str) -> object:
        return None

    def set_setting(self, key: str, setting: str, value: object) -> None:
        return None

    def get_config(self, key: str) -> object:
        return None


class SlowReady(InvenTreePlugin):
    NAME = "SlowReady"

    def ready(self) -> None:
        threading.Event().wait(30)  # never set: hangs until the limit gives up on it


class Quick(InvenTreePlugin):
    NAME = "Quick"


def test_a_plugin_whose_ready_hangs_is_reported_and_the_others_load() -> None:
    definitions = define_plugins(
        [
            Candidate(cls=SlowReady, origin=Origin.FOLDER, package_path="slow.py"),
            Candidate(cls=Quick, origin=Origin.FOLDER, package_path="quick.py"),
        ],
        host_version="0.16.0",
    )
    registry = build_registry(
        definitions,
        active_keys={"slowready", "quick"},
        host=_Host(),
        runner=BoundedRunner(0.3),
    )

    assert registry.is_loaded("quick")
    assert not registry.is_loaded("slowready")
    assert [(e.stage, e.name) for e in registry.errors] == [(Stage.READY, "slowready")]
    assert "ready() of plugin 'slowready' did not finish within 0.3 s" in registry.errors[0].message


class SlowInit(InvenTreePlugin):
    NAME = "SlowInit"

    def __init__(self) -> None:
        threading.Event().wait(30)
        super().__init__()


def test_a_plugin_whose_init_hangs_is_reported_at_init() -> None:
    definitions = define_plugins(
        [Candidate(cls=SlowInit, origin=Origin.FOLDER, package_path="slow.py")],
        host_version="0.16.0",
    )
    registry = build_registry(
        definitions, active_keys={"slowinit"}, host=_Host(), runner=BoundedRunner(0.3)
    )

    assert [(e.stage, e.name) for e in registry.errors] == [(Stage.INIT, "slowinit")]
    assert "__init__ of plugin 'slowinit' did not finish within 0.3 s" in registry.errors[0].message


class CountsReady(InvenTreePlugin):
    NAME = "CountsReady"
    readied = 0

    def ready(self) -> None:
        type(self).readied += 1


def test_kept_instances_are_carried_over_without_a_second_ready() -> None:
    definitions = define_plugins(
        [
            Candidate(cls=CountsReady, origin=Origin.FOLDER, package_path="counts.py"),
            Candidate(cls=Quick, origin=Origin.FOLDER, package_path="quick.py"),
        ],
        host_version="0.16.0",
    )
    first = build_registry(definitions, active_keys={"countsready"}, host=_Host())
    readied = CountsReady.readied

    second = build_registry(
        definitions, active_keys={"countsready", "quick"}, host=_Host(), keep=first
    )

    assert second.instances["countsready"] is first.instances["countsready"]
    assert CountsReady.readied == readied
    assert second.is_loaded("quick")
    # Other definitions (a rediscovery) make new instances.
    again = define_plugins(
        [Candidate(cls=CountsReady, origin=Origin.FOLDER, package_path="counts.py")],
        host_version="0.16.0",
    )
    third = build_registry(again, active_keys={"countsready"}, host=_Host(), keep=second)
    assert third.instances["countsready"] is not first.instances["countsready"]
    assert CountsReady.readied == readied + 1


class CountsBuiltinReady(CountsReady):
    NAME = "CountsBuiltinReady"
    readied = 0  # its own count


def test_a_renewing_build_makes_new_instances_except_of_builtins() -> None:
    definitions = define_plugins(
        [
            Candidate(cls=CountsReady, origin=Origin.FOLDER, package_path="counts.py"),
            Candidate(cls=CountsBuiltinReady, origin=Origin.BUILTIN, package_path="b.py"),
        ],
        host_version="0.16.0",
    )
    active = {"countsready", "countsbuiltinready"}
    first = build_registry(definitions, active_keys=active, host=_Host())
    readied, builtin_readied = CountsReady.readied, CountsBuiltinReady.readied

    renewed = build_registry(definitions, active_keys=active, host=_Host(), keep=first, renew=True)

    assert renewed.instances["countsready"] is not first.instances["countsready"]
    assert CountsReady.readied == readied + 1
    assert renewed.instances["countsbuiltinready"] is first.instances["countsbuiltinready"]
    assert CountsBuiltinReady.readied == builtin_readied


def test_a_runner_works_in_a_forked_child() -> None:
    # The task worker forks its processes after the parent made its runner.
    runner = BoundedRunner(2.0)
    assert runner.call(lambda: "parent", what="in the parent") == "parent"

    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit code
        try:
            ok = runner.call(lambda: "child", what="in the child") == "child"
        except BaseException:  # noqa: BLE001 - any failure is the child's exit code
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
