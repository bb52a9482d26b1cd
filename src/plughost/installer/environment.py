"""What is installed in the target environment, asked of the target interpreter.

The environment that pip changes may not be the one this process runs in
(tests use throwaway venvs; a host may install into another interpreter), and
this process's ``importlib.metadata`` caches what it saw at start. So the
answers come from a short subprocess of the target Python. Snapshots taken
before and after an install say exactly what changed, which is what a
rollback needs to undo.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

from plughost.core.errors import InstallError
from plughost.installer.runner import Runner

_LIST_DISTRIBUTIONS = """
import importlib.metadata, json, re
found = {}
for dist in importlib.metadata.distributions():
    name = dist.metadata["Name"]
    if name:
        found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), dist.version)
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Snapshot:
    """Installed distributions of one environment: canonical name -> version."""

    versions: Mapping[str, str] = field(default_factory=dict)

    def version_of(self, name: str) -> str | None:
        """The installed version of ``name`` (any spelling), or None."""
        return self.versions.get(canonicalize_name(name))


@dataclass(frozen=True)
class EnvironmentChange:
    """The difference between two snapshots."""

    added: Mapping[str, str] = field(default_factory=dict)
    removed: Mapping[str, str] = field(default_factory=dict)
    changed: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """True when nothing was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def describe(self) -> list[str]:
        """One human-readable line per change, sorted by name."""
        lines = [f"added {name} {version}" for name, version in self.added.items()]
        lines += [f"removed {name} {version}" for name, version in self.removed.items()]
        lines += [f"changed {name} {old} -> {new}" for name, (old, new) in self.changed.items()]
        return sorted(lines, key=lambda line: line.split(" ", 2)[1])


def take_snapshot(runner: Runner | None = None) -> Snapshot:
    """Record every installed distribution of the runner's interpreter."""
    runner = runner or Runner()
    result = runner.run_python(_LIST_DISTRIBUTIONS)
    if not result.succeeded:
        raise InstallError(
            "Could not list the installed packages of the target Python "
            f"({runner.python}); check that it runs.",
            output=result.output,
        )
    try:
        data = json.loads(result.output[-1])
    except (IndexError, ValueError):
        raise InstallError(
            "The target Python printed an unexpected package list.", output=result.output
        ) from None
    if not isinstance(data, dict):
        raise InstallError("The target Python printed an unexpected package list.")
    return Snapshot(versions={str(name): str(version) for name, version in data.items()})


def installed_version(name: str, *, runner: Runner | None = None) -> str | None:
    """The version of distribution ``name`` installed for the runner's Python, or None."""
    return take_snapshot(runner).version_of(name)


def compare(before: Snapshot, after: Snapshot) -> EnvironmentChange:
    """What changed from ``before`` to ``after``."""
    old, new = before.versions, after.versions
    return EnvironmentChange(
        added={name: new[name] for name in sorted(new.keys() - old.keys())},
        removed={name: old[name] for name in sorted(old.keys() - new.keys())},
        changed={
            name: (old[name], new[name])
            for name in sorted(old.keys() & new.keys())
            if old[name] != new[name]
        },
    )
