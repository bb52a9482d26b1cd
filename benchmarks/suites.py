"""What the benchmark measures against the floor: every endpoint, and growth with plugins.

Start-up and install times are in ``benchmarks.lifecycle``, propagation in
``benchmarks.propagation``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks import commits
from benchmarks.dataset import plugin_key, write_plugins
from benchmarks.driver import BenchmarkError, Case, Driver, Samples, clients
from benchmarks.servers import (
    Server,
    ServerSpec,
    connection_owner,
    database_for,
    request,
    run_server,
)
from benchmarks.stats import growth, ratio, scaling_exponent

FLOOR = Case("floor", "GET", "/api/bench/floor/")
READ_TARGET = 1.5
WRITE_TARGET = 3.0
PAGE_GROWTH_TARGET = 1.3
RELOAD_1000_TARGET_S = 1.0
SINGLE_SHOT_SIZE = 5000
ENDPOINT_PLUGINS = 24  # + 6 builtin and sample plugins: 30, so ?limit=10&offset=20 is a full page
TOGGLED = plugin_key(1)
Log = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """How much to measure. ``quick()`` is the smoke version."""

    databases: tuple[str, ...] = ("sqlite", "postgresql")
    workers: tuple[int, ...] = (1, 2)
    rounds: int = 3
    count: int = 80  # requests per case, per connection, per round
    warmup: int = 20
    reload_count: int = 10
    commit_count: int = 1000  # durable commits per writer (the database alone)
    sizes: tuple[int, ...] = (10, 100, 1000, 10000)
    scale_database: str = "sqlite"
    scale_count: int = 100
    startup_sizes: tuple[int, ...] = (10, 1000)
    startup_restarts: int = 2
    sections: tuple[str, ...] = ("endpoints", "scale", "startup", "install", "propagation")
    propagation_changes: int = 50
    baseline_ref: str | None = None  # a git ref measured beside this version (endpoints)

    @classmethod
    def quick(cls) -> Plan:
        """Return a plan that runs in well under a minute."""
        return cls(
            databases=("sqlite",),
            workers=(1,),
            rounds=1,
            count=20,
            warmup=3,
            reload_count=2,
            commit_count=50,
            sizes=(10, 100),
            scale_count=20,
            startup_sizes=(10,),
            startup_restarts=1,
            propagation_changes=4,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the plan for the results file."""
        return asdict(self)


RELOAD_CASES = (
    Case(
        "reload",
        "POST",
        "/api/plugins/reload/",
        bodies=({},),
        expect=(201,),
        kind="write",
        heavy=True,
    ),
    Case(
        "reload (collect_plugins)",
        "POST",
        "/api/plugins/reload/",
        bodies=({"collect_plugins": True},),
        expect=(201,),
        kind="write",
        heavy=True,
    ),
)


def endpoint_cases() -> list[Case]:
    """Return every endpoint of the suite, the floor first."""
    sample = "/api/plugins/sample"
    return [
        FLOOR,
        Case("api root (GET /api/)", "GET", "/api/"),
        Case("plugin list", "GET", "/api/plugins/"),
        Case("plugin list ?mixin=settings", "GET", "/api/plugins/?mixin=settings"),
        Case("plugin list ?search=sample", "GET", "/api/plugins/?search=sample"),
        Case("plugin list ?limit=10&offset=20", "GET", "/api/plugins/?limit=10&offset=20"),
        Case("plugin detail", "GET", f"{sample}/"),
        Case("plugin settings list", "GET", f"{sample}/settings/"),
        Case("setting GET", "GET", f"{sample}/settings/NUMERICAL_SETTING/"),
        Case(
            "setting PATCH",
            "PATCH",
            f"{sample}/settings/NUMERICAL_SETTING/",
            bodies=({"value": "124"}, {"value": "123"}),
            kind="write",
        ),
        Case("all settings list", "GET", "/api/plugins/settings/"),
        Case("metadata GET", "GET", f"{sample}/metadata/"),
        Case(
            "metadata PATCH",
            "PATCH",
            f"{sample}/metadata/",
            bodies=({"metadata": {"bench": 1}}, {"metadata": {"bench": 2}}),
            kind="write",
        ),
        Case(
            "activate toggle",
            "PATCH",
            f"/api/plugins/{TOGGLED}/activate/",
            bodies=({"active": True}, {"active": False}),
            kind="write",
        ),
        Case("status", "GET", "/api/plugins/status/"),
        *RELOAD_CASES,
    ]


def scale_cases() -> list[Case]:
    """Return the list endpoints and reloads measured at every size, the floor first."""
    return [
        FLOOR,
        Case("list page ?limit=10", "GET", "/api/plugins/?limit=10"),
        Case("list page ?limit=10&offset=20", "GET", "/api/plugins/?limit=10&offset=20"),
        Case("list page ?mixin=settings&limit=10", "GET", "/api/plugins/?mixin=settings&limit=10"),
        Case("list page ?search=sample&limit=10", "GET", "/api/plugins/?search=sample&limit=10"),
        # A search term never asked before: the first page of a new query scans every plugin.
        Case("list page, a new ?search= each time", "GET", "/api/plugins/?search=q{n}&limit=10"),
        Case("all settings page ?limit=10", "GET", "/api/plugins/settings/?limit=10"),
        Case("plugin list (every plugin)", "GET", "/api/plugins/", heavy=True),
        *RELOAD_CASES,
    ]


Counts = Callable[[Case, int], tuple[int, int]]
"""``(case, round number) -> (warm-up, count)``."""


def endpoint_counts(plan: Plan) -> Counts:
    """Return the requests per round of the endpoint suite (reloads are slower: fewer)."""

    def counts(case: Case, number: int) -> tuple[int, int]:
        count = plan.reload_count if case.heavy else plan.count
        return (plan.warmup if number == 0 else min(plan.warmup, count)), count

    return counts


def scale_counts(plan: Plan, size: int) -> Counts:
    """Return the requests per round at ``size`` plugins: the heavy cases get fewer.

    From ``SINGLE_SHOT_SIZE`` plugins on, a heavy case (a rediscovering reload of thousands
    of files takes a minute) runs once, in the first round, without warm-up: a count of 0
    skips the case in that round.
    """

    def counts(case: Case, number: int) -> tuple[int, int]:
        if not case.heavy:
            return (plan.warmup if number == 0 else min(plan.warmup, plan.scale_count)), (
                plan.scale_count
            )
        if size >= SINGLE_SHOT_SIZE:
            return 0, 1 if number == 0 else 0
        base = plan.reload_count if case.kind == "write" else plan.scale_count
        return 1, max(2, min(base, base * 100 // size))

    return counts


def _measure(
    drivers: Mapping[str, tuple[Driver, Sequence[Case]]],
    plan: Plan,
    counts: Mapping[str, Counts],
    log: Log,
) -> dict[str, dict[str, Samples]]:
    """Run every case ``plan.rounds`` times on every server, interleaved.

    Round after round, case after case, server after server: drift over time hits every
    case and every server alike. ``counts``: each server's requests per case and round.
    """
    samples = {
        label: {case.name: Samples() for case in cases} for label, (_, cases) in drivers.items()
    }
    names = list(dict.fromkeys(case.name for _, cases in drivers.values() for case in cases))
    for number in range(plan.rounds):
        for name in names:
            for label, (driver, cases) in drivers.items():
                case = next((c for c in cases if c.name == name), None)
                if case is None:
                    continue
                warmup, count = counts[label](case, number)
                if count == 0:
                    continue
                latencies, elapsed = driver.run(case, warmup=warmup, count=count)
                samples[label][case.name].add(latencies, elapsed)
        log(f"    round {number + 1}/{plan.rounds} done")
    return samples


def _case_rows(
    cases: Sequence[Case],
    samples: dict[str, Samples],
    *,
    targets: bool,
    floor_samples: Samples | None = None,
) -> list[dict[str, Any]]:
    floor = (floor_samples or samples[FLOOR.name]).summary()
    rows = []
    for case in cases:
        summary = samples[case.name].summary()
        row: dict[str, Any] = {
            "name": case.name,
            "method": case.method,
            "path": case.path,
            "kind": case.kind,
            **summary.as_dict(),
            "ratio_to_floor": round(ratio(summary.median_ms, floor.median_ms), 3),
        }
        if targets and case is not FLOOR:
            target = READ_TARGET if case.kind == "read" else WRITE_TARGET
            row["target_ratio"] = target
            row["target_met"] = row["ratio_to_floor"] <= target
        rows.append(row)
    return rows


def _spread(driver: Driver, server: Server) -> int:
    """Put each client connection on a worker of its own; return how many workers serve them."""
    pids = server.worker_pids()
    probe = Case("probe", "GET", "/api/")
    owners = driver.spread(probe, lambda port: connection_owner(server.port, port, pids))
    return len({owner for owner in owners if owner is not None})


def _activate(server: Server, keys: Sequence[str]) -> None:
    # The first plugin request builds the registry and stores the configs of new plugins.
    status, body = request(server.port, "GET", "/api/plugins/?limit=1", token=server.token)
    if status != 200:
        raise BenchmarkError(f"first plugin list: {status} {body}")
    for key in keys:
        status, body = request(
            server.port,
            "PATCH",
            f"/api/plugins/{key}/activate/",
            body={"active": True},
            token=server.token,
        )
        if status != 200:
            raise BenchmarkError(f"activating {key}: {status} {body}")


def _peak_rss(server: Server) -> dict[str, Any]:
    peaks = server.peak_rss_kib()
    return {
        "workers": {str(pid): kib for pid, kib in peaks.items()},
        "max_mib": round(max(peaks.values(), default=0) / 1024, 1),
    }


def run_endpoints(
    plan: Plan, root: Path, log: Log, *, postgres: bool, baseline_src: Path | None = None
) -> list[dict[str, Any]]:
    """Measure every endpoint on each database and worker count, as ratios to the floor.

    With ``baseline_src`` (the ``src`` folder of another version), a server of that version
    runs beside each one of this version and both are measured in the same rounds. Its ratios
    are to this version's floor when it has no floor endpoint of its own.
    """
    folder = root / "endpoint-plugins"
    write_plugins(folder, ENDPOINT_PLUGINS)
    results = []
    for database in plan.databases:
        if database == "postgresql" and not postgres:
            results.append({"database": database, "not_measured": "PostgreSQL unreachable"})
            continue
        for workers in plan.workers:
            log(f"  endpoints: {database}, {workers} worker(s)")
            results.append(
                _endpoints_once(
                    plan,
                    root,
                    log,
                    database=database,
                    workers=workers,
                    folder=folder,
                    baseline_src=baseline_src,
                )
            )
    return results


def _endpoints_once(
    plan: Plan,
    root: Path,
    log: Log,
    *,
    database: str,
    workers: int,
    folder: Path,
    baseline_src: Path | None,
) -> dict[str, Any]:
    spec = ServerSpec(database=database, workers=workers, plugin_dirs=(folder,))
    name = f"endpoints-{database}-{workers}"
    cases = endpoint_cases()
    with ExitStack() as stack:
        url = stack.enter_context(database_for(database))
        server = stack.enter_context(run_server(root / name / "data", spec, database_url=url))
        _activate(server, ["sample"])
        drivers = {
            "current": (stack.enter_context(clients(server.port, server.token, workers)), cases)
        }
        placement = {"current": _spread(drivers["current"][0], server)}
        baseline: Server | None = None
        baseline_cases: list[Case] = []
        if baseline_src is not None:
            base_spec = replace(spec, pythonpath=baseline_src)
            base_url = stack.enter_context(database_for(database, suffix="_baseline"))
            baseline = stack.enter_context(
                run_server(root / f"{name}-baseline" / "data", base_spec, database_url=base_url)
            )
            _activate(baseline, ["sample"])
            status, _ = request(baseline.port, "GET", FLOOR.path, token=baseline.token)
            baseline_cases = [c for c in cases if c is not FLOOR or status == 200]
            driver = stack.enter_context(clients(baseline.port, baseline.token, workers))
            drivers["baseline"] = (driver, baseline_cases)
            placement["baseline"] = _spread(driver, baseline)
        samples = _measure(drivers, plan, dict.fromkeys(drivers, endpoint_counts(plan)), log)
        commit = commits.measure(database, workers, plan.commit_count, root / name)
        floor = samples["current"][FLOOR.name].summary()
        entry: dict[str, Any] = {
            "database": database,
            "workers": workers,
            "connections": workers,
            "workers_serving_them": placement["current"],
            "startup_s": round(server.started_s, 3),
            "cases": _case_rows(cases, samples["current"], targets=True),
            "peak_rss": _peak_rss(server),
            # What one durable write costs the database alone, as many writers at once.
            "durable_commit": {
                "writers": workers,
                **commit.as_dict(),
                "ratio_to_floor": round(ratio(commit.median_ms, floor.median_ms), 3),
            },
        }
        if baseline is not None:
            own_floor = FLOOR in baseline_cases
            entry["baseline"] = {
                "source": str(baseline_src),
                "floor": "its own" if own_floor else "this version's (it has none)",
                "workers_serving_them": placement["baseline"],
                "cases": _case_rows(
                    baseline_cases,
                    samples["baseline"],
                    targets=True,
                    floor_samples=None if own_floor else samples["current"][FLOOR.name],
                ),
                "peak_rss": _peak_rss(baseline),
            }
    return entry


def run_scale(plan: Plan, root: Path, log: Log) -> dict[str, Any]:
    """Measure the list endpoints and reloads with more and more plugin configs.

    A server per size, all running at once and measured in the same interleaved rounds
    (``_measure``): a machine whose speed drifts while the sizes are measured one after
    another would show the drift as growth (a shared machine's floor moved by a third
    between two sizes' servers, minutes apart).
    """
    cases = scale_cases()
    with ExitStack() as stack:
        started: dict[int, tuple[Server, float, list[str]]] = {}
        drivers: dict[str, tuple[Driver, Sequence[Case]]] = {}
        for size in plan.sizes:
            log(f"  scale: starting a server with {size} plugins")
            server, first_build_s, active = _scale_server(stack, plan, root, size)
            started[size] = (server, first_build_s, active)
            driver = stack.enter_context(clients(server.port, server.token, 1))
            drivers[str(size)] = (driver, cases)
        log(f"  scale: {', '.join(drivers)} plugins, measured together")
        counts = {str(size): scale_counts(plan, size) for size in plan.sizes}
        samples = _measure(drivers, plan, counts, log)
        sizes = [
            {
                "plugins": size,
                "total_configs": size + 6,
                "active_generated": len(active),
                "startup_s": round(server.started_s, 3),
                "first_registry_build_s": round(first_build_s, 3),
                "cases": _case_rows(cases, samples[str(size)], targets=False),
                "peak_rss": _peak_rss(server),
            }
            for size, (server, first_build_s, active) in started.items()
        ]
    return {"database": plan.scale_database, "workers": 1, "sizes": sizes, **_growth(sizes)}


def _scale_server(
    stack: ExitStack, plan: Plan, root: Path, size: int
) -> tuple[Server, float, list[str]]:
    """Start a server with ``size`` generated plugins; return it, its first build's time
    and the plugins activated (a few, most stay inactive)."""
    folder = root / f"scale-{size}" / "plugins"
    keys = write_plugins(folder, size)
    active = keys[: max(1, min(10, size // 10))]
    spec = ServerSpec(database=plan.scale_database, workers=1, plugin_dirs=(folder,))
    url = stack.enter_context(database_for(plan.scale_database, suffix=f"_scale{size}"))
    server = stack.enter_context(
        run_server(root / f"scale-{size}" / "data", spec, database_url=url)
    )
    began = time.monotonic()
    status, body = request(server.port, "GET", "/api/plugins/?limit=1", token=server.token)
    if status != 200:
        raise BenchmarkError(f"first list: {status} {body}")
    first_build_s = time.monotonic() - began
    _activate(server, active)
    return server, first_build_s, list(active)


def _growth(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    if len(sizes) < 2:
        return {}
    names = [row["name"] for row in sizes[0]["cases"]]
    table: dict[str, Any] = {}
    for name in names:
        by_size = {
            entry["plugins"]: next(r["median_ms"] for r in entry["cases"] if r["name"] == name)
            for entry in sizes
        }
        # The same, with each size's figure taken relative to the floor measured on the same
        # server in the same rounds: the machine's drift between two servers' runs (minutes
        # apart on a shared machine) cancels out, and only the endpoint's own growth is left.
        in_floors = {
            entry["plugins"]: next(r["ratio_to_floor"] for r in entry["cases"] if r["name"] == name)
            for entry in sizes
        }
        table[name] = {
            "growth_smallest_to_largest": round(growth(by_size), 3),
            "growth_in_floors": round(growth(in_floors), 3),
            "scaling_exponent": round(scaling_exponent(by_size), 3),
        }
    targets: dict[str, Any] = {}
    smallest, largest = sizes[0]["plugins"], sizes[-1]["plugins"]
    for name in names:
        if name.startswith("list page"):
            value = table[name]["growth_in_floors"]
            targets[f"{name}: {largest} vs {smallest} plugins (in floors)"] = {
                "value": value,
                "target": PAGE_GROWTH_TARGET,
                "met": value <= PAGE_GROWTH_TARGET,
            }
    for entry in sizes:
        if entry["plugins"] == 1000:
            for row in entry["cases"]:
                if row["name"].startswith("reload"):
                    seconds = round(row["median_ms"] / 1000, 3)
                    targets[f"{row['name']} with 1000 plugins (s)"] = {
                        "value": seconds,
                        "target": RELOAD_1000_TARGET_S,
                        "met": seconds < RELOAD_1000_TARGET_S,
                    }
    return {"growth": table, "targets": targets}


def make_root() -> tempfile.TemporaryDirectory[str]:
    """Return the scratch folder of one run (data dirs, plugin folders, logs)."""
    return tempfile.TemporaryDirectory(prefix="plughost-bench-")
