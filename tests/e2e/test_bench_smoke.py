"""The benchmark harness runs end to end in quick mode (figures are not checked: no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.servers import use_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_writes_every_section(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    database = "postgresql" if use_postgres() else "sqlite"
    command = [
        sys.executable,
        "-m",
        "benchmarks",
        "--quick",
        "--sections=endpoints,scale,propagation",
        f"--databases={database}",
        "--sizes=3,6",
        "--count=5",
        f"--output={output}",
    ]

    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240, check=False
    )

    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(output.read_text())
    assert results["quick"] is True
    assert results["machine"]["cpu_count"] >= 1
    [endpoints] = results["endpoints"]
    assert endpoints["database"] == database
    names = [case["name"] for case in endpoints["cases"]]
    assert names[0] == "floor"
    assert {"plugin list", "setting PATCH", "activate toggle", "reload"} <= set(names)
    assert all(case["count"] >= 1 and case["ratio_to_floor"] > 0 for case in endpoints["cases"])
    assert endpoints["peak_rss"]["max_mib"] > 0
    commit = endpoints["durable_commit"]  # the database alone, one writer per worker
    assert commit["writers"] == 1
    assert commit["count"] == 50
    assert commit["median_ms"] > 0
    assert commit["ratio_to_floor"] > 0
    assert "| durable commit, the database alone" in done.stdout
    assert [entry["plugins"] for entry in results["scale"]["sizes"]] == [3, 6]
    assert "list page ?limit=10" in results["scale"]["growth"]
    [first, *others] = results["propagation"]
    assert (first["database"], first["nodes"], first["changes"]) == ("sqlite", 1, 4)
    assert [row["database"] for row in others] == (["postgresql"] if use_postgres() else [])
    assert all(isinstance(row["not_agreed_within_s"]["count"], int) for row in [first, *others])
    assert "Propagation (write answered by one process" in done.stdout
    assert "| floor |" in done.stdout
