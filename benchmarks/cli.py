"""``python -m benchmarks [--quick] [--output FILE] ...``: run, write the JSON, print Markdown."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks import lifecycle, propagation, suites
from benchmarks.driver import REPO_ROOT, BenchmarkError
from benchmarks.report import machine, markdown, source
from benchmarks.servers import postgres_available

DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "latest.json"
SECTIONS = ("endpoints", "scale", "startup", "install", "propagation")


def _ints(value: str) -> tuple[int, ...]:
    try:
        numbers = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a comma-separated list of numbers"
        ) from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give positive numbers")
    return numbers


def _words(allowed: Sequence[str]) -> Any:
    def parse(value: str) -> tuple[str, ...]:
        words = tuple(part.strip() for part in value.split(",") if part.strip())
        unknown = [word for word in words if word not in allowed]
        if unknown or not words:
            raise argparse.ArgumentTypeError(f"{value!r}: choose from {', '.join(allowed)}")
        return words

    return parse


def build_parser() -> argparse.ArgumentParser:
    """Return the benchmark's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark real plughost servers: every endpoint against the floor, growth "
        "with the number of plugins, start-up and install. Writes a JSON file and prints "
        "Markdown tables.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="a small smoke run (also BENCH_QUICK=1)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help="where to write the results (benchmarks/results/latest.json)",
    )
    parser.add_argument(
        "--sections", type=_words(SECTIONS), metavar="LIST", help=",".join(SECTIONS)
    )
    parser.add_argument("--databases", type=_words(("sqlite", "postgresql")), metavar="LIST")
    parser.add_argument("--workers", type=_ints, metavar="LIST", help="e.g. 1,2")
    parser.add_argument(
        "--sizes", type=_ints, metavar="LIST", help="plugin counts for the scale run"
    )
    parser.add_argument("--startup-sizes", type=_ints, metavar="LIST")
    parser.add_argument("--rounds", type=int, metavar="N")
    parser.add_argument("--count", type=int, metavar="N", help="requests per case and round")
    parser.add_argument(
        "--baseline",
        metavar="GIT_REF",
        help="also measure the endpoints of this git revision (or of this folder's src/), "
        "side by side: before and after",
    )
    return parser


def plan_from(options: argparse.Namespace) -> suites.Plan:
    """Return the plan: the default or quick one, with the options given on top."""
    plan = suites.Plan.quick() if options.quick else suites.Plan()
    overrides: dict[str, Any] = {
        "sections": options.sections,
        "databases": options.databases,
        "workers": options.workers,
        "sizes": options.sizes,
        "startup_sizes": options.startup_sizes,
        "rounds": options.rounds,
        "count": options.count,
        "baseline_ref": options.baseline,
    }
    return replace(plan, **{key: value for key, value in overrides.items() if value is not None})


def export_source(ref: str, folder: Path) -> Path:
    """Write ``src/`` of git revision ``ref`` into ``folder``; return its ``src`` path.

    Raises ``BenchmarkError`` when git cannot find the revision.
    """
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "src"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise BenchmarkError(f"git archive {ref}: {archive.stderr.decode(errors='replace')}")
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


def run(
    plan: suites.Plan, *, quick: bool, command: str, output: Path | None = None
) -> dict[str, Any]:
    """Run every section of the plan and return the results.

    With ``output``, the results so far are written there after each section, so a run
    that is stopped half-way keeps what it measured.
    """

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    began = time.monotonic()
    postgres = "postgresql" in plan.databases and postgres_available()
    results: dict[str, Any] = {
        "format": 1,
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command,
        "quick": quick,
        "machine": machine(),
        "source": source(REPO_ROOT),
        "plan": plan.as_dict(),
        "client": "one keep-alive http.client connection per worker, each in its own process",
    }
    with suites.make_root() as scratch:
        root = Path(scratch)
        baseline_src = None
        if plan.baseline_ref is not None and (Path(plan.baseline_ref) / "src").is_dir():
            baseline_src = Path(plan.baseline_ref).resolve() / "src"
        elif plan.baseline_ref is not None:
            baseline_src = export_source(plan.baseline_ref, root / "baseline")
        if "endpoints" in plan.sections:
            log("endpoints")
            results["endpoints"] = suites.run_endpoints(
                plan, root, log, postgres=postgres, baseline_src=baseline_src
            )
            _save(results, output)
        if "scale" in plan.sections:
            log("scale")
            results["scale"] = suites.run_scale(plan, root, log)
            _save(results, output)
        if "startup" in plan.sections:
            log("start-up")
            results["startup"] = lifecycle.run_startup(plan, root, log)
            _save(results, output)
        if "install" in plan.sections:
            log("install")
            results["install"] = lifecycle.run_install(plan, root, log)
            _save(results, output)
        if "propagation" in plan.sections:
            log("propagation")
            results["propagation"] = propagation.run_propagation(
                root, log, changes=plan.propagation_changes, postgres=postgres
            )
            _save(results, output)
    results["duration_s"] = round(time.monotonic() - began, 1)
    return results


def _save(results: dict[str, Any], output: Path | None) -> None:
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; write the JSON file and print the Markdown tables."""
    options = build_parser().parse_args(argv)
    plan = plan_from(options)
    command = "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        results = run(plan, quick=options.quick, command=command.strip(), output=options.output)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    _save(results, options.output)
    print(markdown(results))
    print(f"\nWrote {options.output} in {results['duration_s']} s.")
    return 0
