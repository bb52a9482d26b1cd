"""Time a server's life outside the request path: start-up, and a plugin install."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from benchmarks.dataset import write_plugins
from benchmarks.driver import BenchmarkError
from benchmarks.servers import ServerSpec, request, run_server
from benchmarks.stats import median
from benchmarks.suites import Log, Plan
from plughost.installer.runner import find_uv


def run_startup(plan: Plan, root: Path, log: Log) -> list[dict[str, Any]]:
    """Time process start -> first 200 on ``/api/``, then the first registry build."""
    results = []
    for size in plan.startup_sizes:
        log(f"  start-up: {size} plugins")
        folder = root / f"startup-{size}" / "plugins"
        write_plugins(folder, size)
        spec = ServerSpec(workers=1, plugin_dirs=(folder,))
        data_dir = root / f"startup-{size}" / "data"
        starts: list[float] = []
        builds: list[float] = []
        token = ""
        for _ in range(plan.startup_restarts + 1):
            with run_server(data_dir, spec) as server:
                starts.append(server.started_s)
                token = token or server.token
                began = time.monotonic()
                status, body = request(server.port, "GET", "/api/plugins/?limit=1", token=token)
                if status != 200:
                    raise BenchmarkError(f"first list: {status} {body}")
                builds.append(time.monotonic() - began)
        results.append(
            {
                "plugins": size,
                "database": "sqlite",
                "first_start_s": round(starts[0], 3),
                "restart_s_median": round(median(starts[1:]), 3) if starts[1:] else None,
                "restarts": [round(value, 3) for value in starts[1:]],
                "first_registry_build_s_median": round(median(builds), 3),
                "note": "first start includes creating the database (migrate); a restart does "
                "not. The registry is built on the first authenticated plugin request.",
            }
        )
    return results


def _throwaway_python(path: Path) -> Path:
    """Make a venv whose own site-packages takes installs and that sees this environment's.

    The server runs from it, so installing a plugin changes the throwaway environment, never
    the one the benchmark runs in.
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True
    )
    site = Path(sysconfig.get_path("purelib", vars={"base": str(path), "platbase": str(path)}))
    ours = sysconfig.get_path("purelib")
    (site / "zz_benchmark_parent.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return path / "bin" / "python"


def _path_without_uv() -> str:
    return os.pathsep.join(
        part
        for part in os.environ.get("PATH", "").split(os.pathsep)
        if part and not (Path(part) / "uv").exists()
    )


def run_install(plan: Plan, root: Path, log: Log) -> dict[str, Any]:
    """Time ``POST /api/plugins/install/`` of a small fixture wheel from a loopback index."""
    del plan
    try:
        from tests.fixtures.builder import FixtureBuilder  # noqa: PLC0415 - repo-only helpers
        from tests.fixtures.index_server import PackageIndex  # noqa: PLC0415
    except ImportError as exc:
        reason = f"not measured: the fixture helpers cannot be imported ({exc})"
        return {"pip": {"not_measured": reason}, "uv": {"not_measured": reason}}
    packages = root / "install-index"
    FixtureBuilder(packages).build("good", "1.0.0")
    uv = find_uv()
    results: dict[str, Any] = {}
    with PackageIndex(packages) as index:
        for tool in ("pip", "uv"):
            if tool == "uv" and uv is None:
                results[tool] = {"not_measured": "no uv executable beside Python or on PATH"}
                continue
            log(f"  install with {tool}")
            results[tool] = _install_once(root / f"install-{tool}", tool, uv, index.url)
    return results


def _install_once(folder: Path, tool: str, uv: str | None, index_url: str) -> dict[str, Any]:
    python = _throwaway_python(folder / "venv")
    env = {"PATH": _path_without_uv()}
    if tool == "uv":
        assert uv is not None
        (python.parent / "uv").symlink_to(uv)
    spec = ServerSpec(workers=1, python=str(python), env=env)
    with run_server(folder / "data", spec) as server:
        began = time.monotonic()
        status, body = request(
            server.port,
            "POST",
            "/api/plugins/install/",
            body={"packagename": "plughost-fixture-good", "url": index_url, "confirm": True},
            token=server.token,
        )
        seconds = time.monotonic() - began
    if status != 201:
        detail = str(body)[:300]
        return {"not_measured": f"the install endpoint answered {status}: {detail}"}
    return {"seconds": round(seconds, 3), "package": "plughost-fixture-good 1.0.0 (wheel)"}
