"""The machine's description and the Markdown tables printed at the end of a run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def source(repo: Path) -> dict[str, Any]:
    """Describe the code measured: the checkout's commit, and where ``plughost`` is imported from.

    ``PYTHONPATH`` (inherited by the servers) can point at another tree; the import path shows it.
    """
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    imported = subprocess.run(
        [sys.executable, "-c", "import plughost; print(plughost.__file__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "commit": described.stdout.strip() or None,
        "plughost_imported_from": imported.stdout.strip() or None,
    }


def machine() -> dict[str, Any]:
    """Describe the machine and the software stack."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_mib": _memory_mib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "django": _version("Django"),
        "djangorestframework": _version("djangorestframework"),
        "gunicorn": _version("gunicorn"),
        "orjson": _version("orjson"),
        "psycopg": _version("psycopg"),
    }


def _fmt(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


COMMIT_ROW = "durable commit, the database alone (one per worker at once)"
"""The reference row: a one-row UPDATE committed, with no plughost (``benchmarks.commits``)."""


def _config_name(entry: dict[str, Any]) -> str:
    return f"{entry['database']}, {entry['workers']}w"


def endpoint_table(endpoints: list[dict[str, Any]]) -> list[str]:
    """Rows: endpoints. Columns: per configuration, median ms and the ratio to the floor."""
    measured = [entry for entry in endpoints if "cases" in entry]
    if not measured:
        return []
    head = "| endpoint | kind | target |" + "".join(
        f" {_config_name(e)}: median ms (x floor) | p99 ms | req/s |" for e in measured
    )
    lines = [head, "|---|---|---|" + "---:|---:|---:|" * len(measured)]
    for index, first in enumerate(measured[0]["cases"]):
        target = first.get("target_ratio")
        cells = [first["name"], first["kind"], f"≤ {target}x" if target else "floor"]
        for entry in measured:
            row = entry["cases"][index]
            mark = "" if row.get("target_met", True) else " over"
            cells.append(f"{_fmt(row['median_ms'])} ({row['ratio_to_floor']:.2f}x{mark})")
            cells.append(_fmt(row["p99_ms"]))
            cells.append(f"{row['rps']:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    rss = ["peak RSS per worker (MiB)", "", ""]
    for entry in measured:
        rss += [str(entry["peak_rss"]["max_mib"]), "", ""]
    lines.append("| " + " | ".join(rss) + " |")
    if all("durable_commit" in entry for entry in measured):
        commit = [COMMIT_ROW, "reference", ""]
        for entry in measured:
            figures = entry["durable_commit"]
            commit.append(f"{_fmt(figures['median_ms'])} ({figures['ratio_to_floor']:.2f}x)")
            commit += [_fmt(figures["p99_ms"]), f"{figures['rps']:.0f}"]
        lines.append("| " + " | ".join(commit) + " |")
    return lines


def compact_endpoint_table(endpoints: list[dict[str, Any]]) -> list[str]:
    """Rows: endpoints. Columns: per configuration, ``median ms (x floor)`` only."""
    measured = [entry for entry in endpoints if "cases" in entry]
    if not measured:
        return []
    head = "| endpoint | target |" + "".join(f" {_config_name(e)} |" for e in measured)
    lines = [head, "|---|---|" + "---:|" * len(measured)]
    for index, first in enumerate(measured[0]["cases"]):
        target = first.get("target_ratio")
        cells = [first["name"], f"<= {target}x" if target else "floor"]
        for entry in measured:
            row = entry["cases"][index]
            mark = "" if row.get("target_met", True) else " over"
            cells.append(f"{_fmt(row['median_ms'])} ({row['ratio_to_floor']:.2f}x{mark})")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        "| peak RSS per worker, MiB | |"
        + "".join(f" {entry['peak_rss']['max_mib']} |" for entry in measured)
    )
    if all("durable_commit" in entry for entry in measured):
        lines.append(
            f"| {COMMIT_ROW} | reference |"
            + "".join(
                f" {_fmt(e['durable_commit']['median_ms'])}"
                f" ({e['durable_commit']['ratio_to_floor']:.2f}x) |"
                for e in measured
            )
        )
    return lines


def readme(results: dict[str, Any]) -> str:
    """Return the short form the README shows: compact endpoints, scale, start-up, install."""
    info = results["machine"]
    out = [
        f"{info['cpu_count']} x {info['cpu_model']}, Python {info['python']}, "
        f"Django {info['django']}, gunicorn {info['gunicorn']} "
        "(gthread, 4 threads, the last idle one first); "
        f"`{results['command']}` at {results['source']['commit']}, {results['generated_at']}. "
        "Median ms per request (x the floor's median); 'over' = above the target.",
        "",
        *compact_endpoint_table(results.get("endpoints", [])),
    ]
    if results.get("scale"):
        out += _scale_section(results["scale"])
    if results.get("startup"):
        out += _startup_section(results["startup"])
    if results.get("install"):
        out += _install_section(results["install"])
    if results.get("propagation"):
        out += _propagation_section(results["propagation"])
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """``python -m benchmarks.report FILE [--readme]``: print the tables of a results file."""
    if not argv:
        print("usage: python -m benchmarks.report RESULTS.json [--readme]", file=sys.stderr)
        return 2
    results = json.loads(Path(argv[0]).read_text())
    print(readme(results) if "--readme" in argv[1:] else markdown(results))
    return 0


def baseline_table(endpoints: list[dict[str, Any]]) -> list[str]:
    """Rows: endpoints. Columns: per configuration, before and after (median ms, x floor)."""
    measured = [entry for entry in endpoints if "baseline" in entry]
    if not measured:
        return []
    head = "| endpoint |" + "".join(
        f" {_config_name(e)} before | after | change |" for e in measured
    )
    lines = [head, "|---|" + "---:|---:|---:|" * len(measured)]
    for first in measured[0]["cases"]:
        cells = [first["name"]]
        for entry in measured:
            after = next(r for r in entry["cases"] if r["name"] == first["name"])
            before = next(
                (r for r in entry["baseline"]["cases"] if r["name"] == first["name"]), None
            )
            if before is None:
                cells += ["-", f"{_fmt(after['median_ms'])} ({after['ratio_to_floor']:.2f}x)", ""]
                continue
            cells.append(f"{_fmt(before['median_ms'])} ({before['ratio_to_floor']:.2f}x)")
            cells.append(f"{_fmt(after['median_ms'])} ({after['ratio_to_floor']:.2f}x)")
            cells.append(f"{after['median_ms'] / before['median_ms']:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def scale_table(scale: dict[str, Any]) -> list[str]:
    """Rows: cases. Columns: median ms at each size, and the growth end to end."""
    sizes = scale.get("sizes") or []
    if not sizes:
        return []
    head = "| median ms | " + " | ".join(f"{e['plugins']} plugins" for e in sizes)
    lines = [
        head + " | growth | growth in floors | exponent |",
        "|---|" + "---:|" * (len(sizes) + 3),
    ]
    growth = scale.get("growth", {})
    for index, first in enumerate(sizes[0]["cases"]):
        cells = [first["name"]]
        cells += [_fmt(entry["cases"][index]["median_ms"]) for entry in sizes]
        figures = growth.get(first["name"], {})
        cells.append(f"{figures['growth_smallest_to_largest']:.2f}x" if figures else "")
        in_floors = figures.get("growth_in_floors") if figures else None
        cells.append(f"{in_floors:.2f}x" if in_floors is not None else "")
        cells.append(f"{figures['scaling_exponent']:.2f}" if figures else "")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        "| peak RSS of the worker (MiB) | "
        + " | ".join(str(e["peak_rss"]["max_mib"]) for e in sizes)
        + " | | | |"
    )
    lines.append(
        "| start-up to first 200 on /api/ (s) | "
        + " | ".join(f"{e['startup_s']:.2f}" for e in sizes)
        + " | | | |"
    )
    lines.append(
        "| first registry build (s) | "
        + " | ".join(f"{e['first_registry_build_s']:.2f}" for e in sizes)
        + " | | | |"
    )
    return lines


def _endpoint_sections(results: dict[str, Any]) -> list[str]:
    out: list[str] = []
    table = endpoint_table(results.get("endpoints", []))
    if table:
        out += [
            "",
            "### Endpoints (ratio = median / floor median; 'over' = above the target)",
            "",
            *table,
        ]
    before_after = baseline_table(results.get("endpoints", []))
    if before_after:
        source = results["plan"].get("baseline_ref")
        out += [
            "",
            f"### Before ({source}) and after: median ms (x this version's floor)",
            "",
            *before_after,
        ]
    for entry in results.get("endpoints", []):
        if "not_measured" in entry:
            out.append(f"\n{entry['database']}: not measured ({entry['not_measured']}).")
    return out


def _scale_section(scale: dict[str, Any]) -> list[str]:
    out = [
        "",
        f"### Scale ({scale['database']}, 1 worker; generated plugins, most inactive)",
        "",
        *scale_table(scale),
        "",
    ]
    for name, target in scale.get("targets", {}).items():
        state = "met" if target["met"] else "NOT met"
        out.append(f"- {name}: {target['value']} (target {target['target']}): {state}")
    return out


def _startup_section(startup: list[dict[str, Any]]) -> list[str]:
    out = ["", "### Start-up (process start -> first 200 on /api/)", ""]
    out += [
        "| plugins | first start s | restart s | first registry build s |",
        "|---:|---:|---:|---:|",
    ]
    for entry in startup:
        restart = entry["restart_s_median"]
        out.append(
            f"| {entry['plugins']} | {entry['first_start_s']:.2f} | "
            f"{'' if restart is None else f'{restart:.2f}'} | "
            f"{entry['first_registry_build_s_median']:.3f} |"
        )
    return out


def _install_section(install: dict[str, Any]) -> list[str]:
    out = ["", "### Install (POST /api/plugins/install/, fixture wheel, loopback index)", ""]
    for tool, figures in install.items():
        if "seconds" in figures:
            out.append(f"- {tool}: {figures['seconds']:.2f} s")
        else:
            out.append(f"- {tool}: {figures['not_measured']}")
    return out


def markdown(results: dict[str, Any]) -> str:
    """Return every table of a run as Markdown."""
    info = results["machine"]
    out = [
        f"Machine: {info['cpu_count']} x {info['cpu_model']}, {info['memory_mib']} MiB, "
        f"Python {info['python']}, Django {info['django']}, DRF {info['djangorestframework']}, "
        f"gunicorn {info['gunicorn']} (gthread, the last idle thread first). "
        f"Command: `{results['command']}`" + (" (quick)" if results["quick"] else "")
    ]
    out += _endpoint_sections(results)
    if results.get("scale"):
        out += _scale_section(results["scale"])
    if results.get("startup"):
        out += _startup_section(results["startup"])
    if results.get("install"):
        out += _install_section(results["install"])
    if results.get("propagation"):
        out += _propagation_section(results["propagation"])
    return "\n".join(out)


def _propagation_section(rows: list[dict[str, Any]]) -> list[str]:
    """Return the propagation table: write in one process, agreed in every other."""
    out = [
        "",
        "Propagation (write answered by one process -> every worker of every node shows it; "
        "activation and host-switch changes):",
        "",
        "| database | nodes x workers | changes | median ms | p90 ms | worst ms | not agreed |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        out.append(
            f"| {row['database']} | {row['nodes']} x {row['workers']} | {row['changes']} "
            f"| {row['median_ms']} | {row['p90_ms']} | {row['worst_ms']} "
            f"| {row['not_agreed_within_s']['count']} |"
        )
    return out


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
