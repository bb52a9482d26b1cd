"""Install, uninstall, dry-run and roll back plugin packages.

Each operation takes a validated :class:`InstallTarget` (or a checked project
name) and a :class:`Runner`, and returns a result record or raises
:class:`InstallError` with pip's cleaned output. Installs take a snapshot
before and after, so the caller knows exactly what changed (also the name of
a package installed from a bare VCS URL) and can :func:`restore` the earlier
state when the new code fails to load. A failed or timed-out pip run is
rolled back here already: the environment is left as it was.

Dry runs always use pip (``--dry-run --report``), since uv has no
machine-readable report; their result lists what would be installed,
upgraded or downgraded, and :func:`host_conflicts` names the changes that
would touch a package the host itself depends on.
"""

from __future__ import annotations

import enum
import importlib.metadata
import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from plughost.core.errors import InstallConflictError, InstallError, InstallInputError
from plughost.installer.environment import (
    EnvironmentChange,
    Snapshot,
    compare,
    take_snapshot,
)
from plughost.installer.requests import InstallTarget
from plughost.installer.runner import PackageTool, Runner, RunResult


@dataclass(frozen=True)
class InstallResult:
    """A successful install: pip's output and the environment before and after."""

    target: InstallTarget
    command: tuple[str, ...]
    output: tuple[str, ...]
    before: Snapshot
    after: Snapshot

    @property
    def changes(self) -> EnvironmentChange:
        """What the install added, removed or changed."""
        return compare(self.before, self.after)


@dataclass(frozen=True)
class UninstallResult:
    """A finished uninstall; ``removed`` is empty when the package was not installed."""

    name: str
    command: tuple[str, ...]
    output: tuple[str, ...]
    removed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreResult:
    """What :func:`restore` undid, and the tool output of doing it."""

    reverted: EnvironmentChange
    output: tuple[str, ...]


class ChangeKind(enum.Enum):
    """How one package would change in a dry run."""

    INSTALL = "install"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    REINSTALL = "reinstall"


@dataclass(frozen=True)
class PackageChange:
    """One package of a dry-run report, with its currently installed version."""

    name: str
    version: str
    previous: str | None

    @property
    def kind(self) -> ChangeKind:
        """Install, upgrade, downgrade or reinstall, by comparing versions."""
        if self.previous is None:
            return ChangeKind.INSTALL
        try:
            new, old = Version(self.version), Version(self.previous)
        except InvalidVersion:
            return ChangeKind.REINSTALL if self.version == self.previous else ChangeKind.UPGRADE
        if new > old:
            return ChangeKind.UPGRADE
        if new < old:
            return ChangeKind.DOWNGRADE
        return ChangeKind.REINSTALL

    def describe(self) -> str:
        """``name version`` or ``name old -> new``."""
        if self.previous is None or self.previous == self.version:
            return f"{self.name} {self.version}"
        return f"{self.name} {self.previous} -> {self.version}"


@dataclass(frozen=True)
class DryRunReport:
    """What an install would do, resolved by pip without changing anything."""

    target: InstallTarget
    changes: tuple[PackageChange, ...]
    output: tuple[str, ...] = ()

    def of_kind(self, kind: ChangeKind) -> tuple[PackageChange, ...]:
        """The changes of one kind, in report order."""
        return tuple(change for change in self.changes if change.kind is kind)

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        """A JSON-ready summary: ``install``, ``upgrade``, ``downgrade``, ``reinstall`` lists."""
        summary: dict[str, list[dict[str, str]]] = {}
        for kind in ChangeKind:
            summary[kind.value] = [
                {"name": change.name, "version": change.version}
                | ({"previous": change.previous} if change.previous is not None else {})
                for change in self.of_kind(kind)
            ]
        return summary


def install(
    target: InstallTarget, *, runner: Runner | None = None, before: Snapshot | None = None
) -> InstallResult:
    """Install ``target`` into the runner's environment, or leave it as it was.

    On a pip failure or timeout the environment is restored from the
    snapshot taken before (``before``, when the caller took it already), and
    :class:`InstallError` carries pip's output (followed by the restore's, if
    one was needed).
    """
    runner = runner or Runner()
    before = before or take_snapshot(runner)
    try:
        result = runner.run("install", _install_args(target, runner))
    except InstallError as exc:
        _raise_after_restore(exc.message, list(exc.output), before, runner, target)
    if not result.succeeded:
        _raise_after_restore(
            f"Installing {target.describe()} failed (exit code {result.returncode}); "
            "see the output for pip's reason.",
            list(result.output),
            before,
            runner,
            target,
        )
    return InstallResult(
        target=target,
        command=result.command,
        output=result.output,
        before=before,
        after=take_snapshot(runner),
    )


def uninstall(
    package_name: str, *, runner: Runner | None = None, before: Snapshot | None = None
) -> UninstallResult:
    """Remove the distribution ``package_name`` (a bare project name)."""
    runner = runner or Runner()
    name = check_project_name(package_name)
    before = before or take_snapshot(runner)
    args = [name] if runner.tool is PackageTool.UV else ["--yes", name]
    result = runner.run("uninstall", args)
    if not result.succeeded:
        raise InstallError(
            f"Uninstalling {name} failed (exit code {result.returncode}); "
            "see the output for the reason.",
            output=result.output,
        )
    removed = compare(before, take_snapshot(runner)).removed
    return UninstallResult(name=name, command=result.command, output=result.output, removed=removed)


def dry_run(target: InstallTarget, *, runner: Runner | None = None) -> DryRunReport:
    """Resolve ``target`` with ``pip install --dry-run --report``; compare with the installed."""
    pip = (runner or Runner()).with_tool(PackageTool.PIP)
    installed = take_snapshot(pip)
    with tempfile.TemporaryDirectory(prefix="plughost-dry-run-") as folder:
        report_path = Path(folder) / "report.json"
        result = pip.run(
            "install",
            [
                "--dry-run",
                "--report",
                str(report_path),
                "--quiet",
                "--upgrade",
                "--progress-bar",
                "off",
                *target.pip_args(),
            ],
        )
        if not result.succeeded:
            raise InstallError(
                f"Resolving {target.describe()} failed (exit code {result.returncode}); "
                "see the output for pip's reason. (Dry runs need pip in the target environment.)",
                output=result.output,
            )
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InstallError(
                "pip did not write a readable dry-run report.", output=result.output
            ) from None
    return DryRunReport(
        target=target, changes=parse_report(report, installed), output=result.output
    )


def parse_report(report: Any, installed: Snapshot) -> tuple[PackageChange, ...]:
    """Read the ``install`` items of a pip installation report (format version 1)."""
    if not isinstance(report, dict) or not isinstance(report.get("install"), list):
        raise InstallError("pip's dry-run report has no 'install' list.")
    changes: list[PackageChange] = []
    for item in report["install"]:
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict) or "name" not in metadata or "version" not in metadata:
            raise InstallError("pip's dry-run report has an item without name and version.")
        name = canonicalize_name(str(metadata["name"]))
        changes.append(
            PackageChange(
                name=name, version=str(metadata["version"]), previous=installed.version_of(name)
            )
        )
    return tuple(changes)


def host_requirement_names(distribution: str = "plughost") -> frozenset[str]:
    """Canonical names of ``distribution`` and everything it needs, recursively.

    Read from this process's metadata: the host runs here. Extras that are
    requested (``psycopg[binary]``) are followed; optional extras of the host
    itself are not. A host not installed as a distribution yields just its name.
    """
    names: set[str] = set()
    pending: list[tuple[str, frozenset[str]]] = [(distribution, frozenset())]
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        seen_before = key in names
        names.add(key)
        if seen_before and not extras:
            continue
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                continue
            child = canonicalize_name(requirement.name)
            if child not in names or requirement.extras:
                pending.append((requirement.name, frozenset(requirement.extras)))
    return frozenset(names)


def host_conflicts(report: DryRunReport, host_requirements: Iterable[str]) -> list[str]:
    """The report's changes to packages the host depends on, one line each."""
    host = {canonicalize_name(name) for name in host_requirements}
    return [
        f"{change.describe()} ({change.kind.value})"
        for change in report.changes
        if change.name in host and change.kind is not ChangeKind.REINSTALL
    ]


def raise_for_host_conflicts(report: DryRunReport, host_requirements: Iterable[str]) -> None:
    """Raise :class:`InstallConflictError` when the install would change the host's packages."""
    conflicts = host_conflicts(report, host_requirements)
    if conflicts:
        raise InstallConflictError(
            f"Installing {report.target.describe()} would change packages the server itself "
            f"depends on: {', '.join(conflicts)}. Pick a plugin version compatible with "
            "this server.",
            conflicts=conflicts,
        )


def restore(
    before: Snapshot, *, runner: Runner | None = None, index_url: str | None = None
) -> RestoreResult:
    """Bring the environment back to ``before``: remove what was added, reinstall old versions.

    Old versions are reinstalled as ``name==version`` without dependencies
    (each changed dependency is reverted on its own), from ``index_url``
    when given. Raises :class:`InstallError` when a step fails.
    """
    runner = runner or Runner()
    change = compare(before, take_snapshot(runner))
    output: list[str] = []
    if change.added:
        names = sorted(change.added)
        args = names if runner.tool is PackageTool.UV else ["--yes", *names]
        output += _checked(runner.run("uninstall", args), "Removing newly added packages")
    reinstall = {**change.removed, **{name: old for name, (old, _) in change.changed.items()}}
    if reinstall:
        args = ["--no-deps"]
        if index_url is not None:
            args += ["--index-url", index_url]
        if runner.tool is PackageTool.UV:
            args += ["--reinstall"]
        else:
            args += ["--force-reinstall"]
        args += [f"{name}=={version}" for name, version in sorted(reinstall.items())]
        output += _checked(runner.run("install", args), "Reinstalling the previous versions")
    return RestoreResult(reverted=change, output=tuple(output))


def check_project_name(name: str) -> str:
    """Return the canonical form of a bare project name, or raise InstallInputError."""
    try:
        requirement = Requirement(name)
    except InvalidRequirement:
        requirement = None
    if (
        requirement is None
        or name.startswith("-")
        or name != name.strip()
        or requirement.url
        or requirement.specifier
        or requirement.extras
        or requirement.marker
    ):
        raise InstallInputError(
            f"'{name!s:.100}' is not a bare package name such as 'my-plugin'.",
            field="package_name",
        )
    return canonicalize_name(requirement.name)


def _install_args(target: InstallTarget, runner: Runner) -> list[str]:
    if runner.tool is PackageTool.UV:
        upgrade = ["--upgrade-package", target.name] if target.name else []
        return [*upgrade, *target.pip_args()]
    return ["--upgrade", "--progress-bar", "off", *target.pip_args()]


def _checked(result: RunResult, what: str) -> list[str]:
    if not result.succeeded:
        raise InstallError(f"{what} failed (exit code {result.returncode}).", output=result.output)
    return list(result.output)


def _raise_after_restore(
    message: str,
    output: list[str],
    before: Snapshot,
    runner: Runner,
    target: InstallTarget,
) -> NoReturn:
    """Undo whatever a failed install left behind, then raise with both outputs."""
    try:
        restored = restore(before, runner=runner, index_url=target.index_url)
    except InstallError as exc:
        raise InstallError(
            f"{message} Restoring the previous packages also failed: {exc.message}",
            output=[*output, *exc.output],
        ) from None
    if not restored.reverted.is_empty:
        message += " The previous packages were restored."
    raise InstallError(message, output=[*output, *restored.output])
