"""Run pip or uv in a subprocess: an argument list, a clean environment, a deadline.

InvenTree 198 ran pip inside the HTTP request with no timeout and inherited
every ``PIP_*`` variable and config file of the machine (behaviour spec 4.1,
9.29). Here:

* the command is an argument list, never a shell string;
* pip runs as ``python -I -m pip --isolated`` with ``PIP_CONFIG_FILE`` set to
  the null device, so no global, user or environment configuration (extra
  index URLs, find-links, constraints) changes what gets installed; uv runs
  with ``--no-config`` and without ``UV_*`` variables for the same reason;
* the process gets its own process group, and on timeout the whole group is
  killed, so a hung build backend cannot outlive the request;
* on Linux it dies with the server process that started it (``PR_SET_PDEATHSIG``,
  set by a small launcher that then execs the command): a pip left running
  by a killed server would change the environment behind the recovery of
  the interrupted install (``services.package_journal``);
* output is merged, stripped of colours and progress bars, and masked.

uv is used when an executable is found next to the host's interpreter or on
``PATH`` (it is much faster); :class:`PackageTool` forces one or the other.
"""

from __future__ import annotations

import enum
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from plughost.core.errors import InstallError
from plughost.installer.secrets import mask_lines, mask_secrets

DEFAULT_TIMEOUT = 300.0
"""Seconds one pip or uv run may take before its process group is killed."""

MAX_OUTPUT_LINES = 400
"""Longer output keeps its last lines: that is where pip reports what went wrong."""

_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"  # 1: PR_SET_PDEATHSIG
    "if os.getppid() != int(sys.argv[1]):\n"  # the parent died before prctl took effect
    "    os._exit(137)\n"
    "try:\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
    "except OSError as exc:\n"
    "    sys.stderr.write(f'{sys.argv[2]} could not be started: {exc.strerror}\\n')\n"
    "    os._exit(127)\n"
)
"""Run by ``python -I -S -c``: the child is killed when its parent dies, then becomes the
command. A launcher rather than ``preexec_fn``, which is unsafe in a threaded server."""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_KILL_GRACE = 5.0


class PackageTool(enum.Enum):
    """Which installer front end to use; AUTO prefers uv when it is available."""

    AUTO = "auto"
    PIP = "pip"
    UV = "uv"


@dataclass(frozen=True)
class RunResult:
    """One finished subprocess: masked command, exit code, cleaned output lines."""

    command: tuple[str, ...]
    returncode: int
    output: tuple[str, ...]
    duration: float

    @property
    def succeeded(self) -> bool:
        """True when the process exited with status 0."""
        return self.returncode == 0


def find_uv() -> str | None:
    """Return the path of a ``uv`` executable next to the host's Python or on ``PATH``."""
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("uv")


def clean_output(raw: str) -> list[str]:
    """Split subprocess output into masked, non-empty lines without colours or progress bars."""
    lines: list[str] = []
    for raw_line in _ANSI.sub("", raw).replace("\r\n", "\n").split("\n"):
        # A carriage return redraws the line (progress bars): keep what was drawn last.
        line = raw_line.split("\r")[-1].rstrip()
        if line.strip():
            lines.append(line)
    if len(lines) > MAX_OUTPUT_LINES:
        omitted = len(lines) - MAX_OUTPUT_LINES
        lines = [f"... {omitted} earlier lines omitted ...", *lines[-MAX_OUTPUT_LINES:]]
    return mask_lines(lines)


def subprocess_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for pip/uv: the host's, minus every pip and uv setting.

    ``PIP_CONFIG_FILE`` pointing at the null device makes pip skip *all*
    configuration files, including the global ones that ``--isolated``
    alone still reads.
    """
    source = os.environ if base is None else base
    env = {
        key: value
        for key, value in source.items()
        if not key.upper().startswith(("PIP_", "UV_")) and key.upper() != "PYTHONPATH"
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["NO_COLOR"] = "1"
    return env


def run_command(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    what: str = "The command",
) -> RunResult:
    """Run ``argv`` without a shell and return its result, whatever the exit code.

    Raises :class:`InstallError` when the program cannot be started or when
    it runs past ``timeout`` seconds; in that case its whole process group
    is killed and the output it produced so far is attached.
    """
    command = tuple(mask_secrets(arg) for arg in argv)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            _dying_with_this_process(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else subprocess_env(),
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        raise InstallError(
            f"{what} could not be started ({mask_secrets(str(exc))}). "
            "Check that the interpreter and pip (or uv) are installed."
        ) from exc
    try:
        raw, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        try:
            raw, _ = process.communicate(timeout=_KILL_GRACE)
        except subprocess.TimeoutExpired:
            raw = b""
        raise InstallError(
            f"{what} timed out after {timeout:g} s and was stopped. "
            "Try again, or raise the install timeout if the package is large.",
            output=clean_output(raw.decode("utf-8", errors="replace")),
        ) from None
    return RunResult(
        command=command,
        returncode=process.returncode,
        output=tuple(clean_output(raw.decode("utf-8", errors="replace"))),
        duration=time.monotonic() - started,
    )


def _dying_with_this_process(argv: Sequence[str]) -> list[str]:
    """Return ``argv`` behind the launcher (on Linux); raise OSError as Popen would."""
    if not sys.platform.startswith("linux") or not argv:
        return list(argv)
    program = shutil.which(argv[0])
    if program is None:
        raise FileNotFoundError(errno.ENOENT, "No such executable file", argv[0])
    return [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), program, *argv[1:]]


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


@dataclass(frozen=True)
class Runner:
    """How to run the package tool against one Python environment.

    ``python`` is the interpreter whose environment is changed (the host's
    own by default). ``tool`` AUTO is resolved when the runner is made, so
    ``runner.tool`` is always PIP or UV afterwards.
    """

    python: str = field(default_factory=lambda: sys.executable)
    tool: PackageTool = PackageTool.AUTO
    timeout: float = DEFAULT_TIMEOUT
    uv_path: str | None = None
    env: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        uv_path = self.uv_path
        tool = self.tool
        if tool is not PackageTool.PIP and uv_path is None:
            uv_path = find_uv()
        if tool is PackageTool.AUTO:
            tool = PackageTool.UV if uv_path else PackageTool.PIP
        if tool is PackageTool.UV and not uv_path:
            raise InstallError("uv was requested but no uv executable was found.")
        object.__setattr__(self, "tool", tool)
        object.__setattr__(self, "uv_path", uv_path)

    def with_tool(self, tool: PackageTool) -> Runner:
        """The same environment and deadline with another front end (dry runs need pip)."""
        return replace(self, tool=tool)

    def with_timeout(self, timeout: float) -> Runner:
        """The same runner with another deadline."""
        return replace(self, timeout=timeout)

    def command(self, subcommand: str, args: Sequence[str]) -> list[str]:
        """The full argument list for ``pip <subcommand> ...`` or ``uv pip <subcommand> ...``."""
        if self.tool is PackageTool.UV:
            assert self.uv_path is not None
            return [
                self.uv_path,
                "pip",
                subcommand,
                "--python",
                self.python,
                "--no-config",
                "--no-progress",
                "--color",
                "never",
                *args,
            ]
        return [
            self.python,
            "-I",
            "-m",
            "pip",
            subcommand,
            "--isolated",
            "--disable-pip-version-check",
            "--no-input",
            "--no-color",
            *args,
        ]

    def run(
        self, subcommand: str, args: Sequence[str], *, timeout: float | None = None
    ) -> RunResult:
        """Run the package tool; non-zero exits are returned, timeouts raise InstallError."""
        name = "uv pip" if self.tool is PackageTool.UV else "pip"
        return run_command(
            self.command(subcommand, args),
            timeout=self.timeout if timeout is None else timeout,
            env=subprocess_env(self.env),
            what=f"'{name} {subcommand}'",
        )

    def run_python(
        self, code: str, args: Sequence[str] = (), *, timeout: float = 60.0
    ) -> RunResult:
        """Run a snippet in the target interpreter (isolated mode: no cwd, no PYTHONPATH)."""
        return run_command(
            [self.python, "-I", "-c", code, *args],
            timeout=timeout,
            env=subprocess_env(self.env),
            what="The target Python",
        )
