"""The runner: argument lists, a scrubbed environment, cleaned output, a hard deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plughost.core.errors import InstallError
from plughost.installer import runner as runner_module
from plughost.installer.runner import (
    MAX_OUTPUT_LINES,
    PackageTool,
    Runner,
    clean_output,
    run_command,
    subprocess_env,
)


def test_pip_command_is_isolated_and_non_interactive() -> None:
    runner = Runner(python="/venv/bin/python", tool=PackageTool.PIP)

    command = runner.command("install", ["foo"])

    assert command[:5] == ["/venv/bin/python", "-I", "-m", "pip", "install"]
    assert {"--isolated", "--disable-pip-version-check", "--no-input"} <= set(command)
    assert command[-1] == "foo"


def test_uv_command_targets_the_python_and_ignores_config() -> None:
    runner = Runner(python="/venv/bin/python", tool=PackageTool.UV, uv_path="/opt/uv")

    command = runner.command("install", ["foo"])

    assert command[:5] == ["/opt/uv", "pip", "install", "--python", "/venv/bin/python"]
    assert "--no-config" in command
    assert command[-1] == "foo"


def test_auto_prefers_uv_when_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "find_uv", lambda: "/opt/uv")
    assert Runner().tool is PackageTool.UV
    assert Runner(tool=PackageTool.PIP).tool is PackageTool.PIP

    monkeypatch.setattr(runner_module, "find_uv", lambda: None)
    assert Runner().tool is PackageTool.PIP
    with pytest.raises(InstallError, match="no uv executable"):
        Runner(tool=PackageTool.UV)


def test_with_tool_switches_front_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "find_uv", lambda: "/opt/uv")
    runner = Runner(python="/p", timeout=7)

    pip = runner.with_tool(PackageTool.PIP)

    assert (pip.tool, pip.python, pip.timeout) == (PackageTool.PIP, "/p", 7)


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Runner(timeout=0)


def test_environment_drops_pip_and_uv_settings() -> None:
    env = subprocess_env(
        {
            "PATH": "/bin",
            "PIP_EXTRA_INDEX_URL": "file:///opt/pypi/simple",
            "pip_find_links": "/opt/wheels",
            "UV_INDEX_URL": "https://evil.example.com",
            "PYTHONPATH": "/somewhere",
        }
    )

    assert env == {
        "PATH": "/bin",
        "PIP_CONFIG_FILE": os.devnull,
        "UV_PYTHON_DOWNLOADS": "never",
        "NO_COLOR": "1",
    }


def test_real_pip_sees_no_machine_configuration() -> None:
    # This machine's global pip.conf sets extra-index-url and find-links; none may leak in.
    result = Runner(tool=PackageTool.PIP).run("config", ["list"])

    assert result.succeeded
    assert result.output == ()


def test_clean_output_strips_colour_progress_and_blank_lines() -> None:
    raw = "\x1b[31mERROR\x1b[0m: boom\r\n\n  \nDownloading 10%\rDownloading 100%\nhttps://u:p@h/\n"

    assert clean_output(raw) == ["ERROR: boom", "Downloading 100%", "https://u:****@h/"]


def test_clean_output_keeps_the_last_lines() -> None:
    raw = "\n".join(f"line {n}" for n in range(MAX_OUTPUT_LINES + 10))

    lines = clean_output(raw)

    assert lines[0] == "... 10 earlier lines omitted ..."
    assert lines[-1] == f"line {MAX_OUTPUT_LINES + 9}"
    assert len(lines) == MAX_OUTPUT_LINES + 1


def test_run_command_returns_output_and_exit_code() -> None:
    result = run_command(
        [
            sys.executable,
            "-c",
            "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
        ],
        timeout=30,
    )

    assert result.returncode == 3
    assert not result.succeeded
    assert sorted(result.output) == ["err", "out"]


def test_run_command_masks_the_recorded_command() -> None:
    result = run_command([sys.executable, "-c", "pass", "https://u:secret@h/"], timeout=30)

    assert result.command[-1] == "https://u:****@h/"


def test_timeout_kills_the_whole_process_group() -> None:
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(30)\n"
    )
    started = time.monotonic()

    with pytest.raises(InstallError, match=r"timed out after 1 s") as caught:
        run_command([sys.executable, "-c", script], timeout=1, what="The test command")

    assert time.monotonic() - started < 10
    grandchild = int(caught.value.output[0])
    assert _is_gone(grandchild)


def test_runner_timeout_is_an_install_error(tmp_path: Path) -> None:
    slow = tmp_path / "python"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)

    with pytest.raises(InstallError, match=r"'pip install' timed out after 0.5 s"):
        Runner(python=str(slow), tool=PackageTool.PIP, timeout=0.5).run("install", ["foo"])


def test_missing_interpreter_is_an_install_error(tmp_path: Path) -> None:
    runner = Runner(python=str(tmp_path / "nope"), tool=PackageTool.PIP)

    with pytest.raises(InstallError, match="could not be started"):
        runner.run("install", ["foo"])


def _is_gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie waiting to be reaped counts as gone)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True
        if "State:\tZ" in status:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_command_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    # A server killed during an install must not leave pip changing the environment.
    pid_file = tmp_path / "child.pid"
    starter = (
        "from plughost.installer.runner import run_command\n"
        f"run_command(['sh', '-c', 'echo $$ > {pid_file}; exec sleep 60'], timeout=120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", starter])
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the command did not start"
        time.sleep(0.05)
    child = int(pid_file.read_text())
    assert not _is_gone_now(child)

    parent.send_signal(signal.SIGKILL)
    parent.wait(10)

    assert _is_gone(child)


def test_a_command_that_cannot_be_executed_is_an_install_error(tmp_path: Path) -> None:
    not_executable = tmp_path / "tool"
    not_executable.write_text("#!/bin/sh\n")

    with pytest.raises(InstallError, match="could not be started"):
        run_command([str(not_executable)], timeout=5)


def _is_gone_now(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status
