"""Find plugin classes: in host packages, in plugin folders, and behind entry points.

Discovery imports code and reports what it found; it decides nothing about activation.
An import failure is recorded (stage ``discovery``) and the walk goes on.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import pkgutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType

from plughost.core.bounded import BoundedRunner, run
from plughost.core.definition import Candidate, Origin, RegistryError, Stage
from plughost.core.plugin import InvenTreePlugin

ENTRY_POINT_GROUP = "inventree_plugins"


@dataclass
class DiscoveryResult:
    """Candidates in discovery order, and the modules that failed to import."""

    candidates: list[Candidate] = field(default_factory=list)
    errors: list[RegistryError] = field(default_factory=list)

    def extend(self, other: DiscoveryResult) -> None:
        """Append another result's candidates and errors."""
        self.candidates.extend(other.candidates)
        self.errors.extend(other.errors)


def plugin_classes(module: ModuleType) -> Iterator[type[InvenTreePlugin]]:
    """Yield the plugin classes a module defines (not those it imports), with a NAME."""
    for _, value in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(value, InvenTreePlugin)
            and value.__module__ == module.__name__
            and value.__dict__.get("NAME")
        ):
            yield value


def discover_package(
    package: str, origin: Origin, *, runner: BoundedRunner | None = None
) -> DiscoveryResult:
    """Import every module of a host package (``plughost.plugins.builtin``...) and collect."""
    result = DiscoveryResult()
    try:
        root = importlib.import_module(package)
    except Exception as exc:  # noqa: BLE001 - a broken module must not stop discovery
        result.errors.append(RegistryError(Stage.DISCOVERY, package, _describe(exc)))
        return result
    names = [package]
    if hasattr(root, "__path__"):
        # walk_packages imports subpackages and re-raises their errors unless given onerror;
        # a broken subpackage is recorded by the import loop below instead.
        walk = pkgutil.walk_packages(root.__path__, f"{package}.", onerror=_ignore)
        names += [info.name for info in walk]
    for name in names:
        try:
            module = run(runner, partial(importlib.import_module, name), what=f"import of {name}")
        except Exception as exc:  # noqa: BLE001 - a plugin failure is recorded, not raised
            result.errors.append(RegistryError(Stage.DISCOVERY, name, _describe(exc)))
            continue
        path = _module_path(module)
        result.candidates.extend(
            Candidate(cls=cls, origin=origin, package_path=path) for cls in plugin_classes(module)
        )
    return result


def discover_folder(folder: Path, *, runner: BoundedRunner | None = None) -> DiscoveryResult:
    """Load each ``*.py`` file and each package directly inside ``folder`` by path.

    Modules are imported under a private name derived from the folder, so a plugin file
    called ``json.py`` cannot shadow the standard library (as it could in InvenTree).
    """
    result = DiscoveryResult()
    if not folder.is_dir():
        return result
    prefix = "plughost_folder_" + hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.suffix == ".py":
            location = entry
        elif entry.is_dir() and (entry / "__init__.py").is_file():
            location = entry / "__init__.py"
        else:
            continue
        module_name = f"{prefix}.{entry.stem if entry.is_file() else entry.name}"
        relative = f"{folder.name}/{entry.name}"
        try:
            modules = run(
                runner,
                partial(_load_by_path, module_name, location, is_package=entry.is_dir()),
                what=f"import of {relative}",
            )
        except Exception as exc:  # noqa: BLE001 - a broken plugin file must not stop discovery
            result.errors.append(RegistryError(Stage.DISCOVERY, entry.stem, _describe(exc)))
            continue
        for module in modules:
            result.candidates.extend(
                Candidate(cls=cls, origin=Origin.FOLDER, package_path=relative)
                for cls in plugin_classes(module)
            )
    return result


def _load_by_path(module_name: str, location: Path, *, is_package: bool) -> list[ModuleType]:
    parent = module_name.rsplit(".", 1)[0]
    if parent not in sys.modules:
        namespace = ModuleType(parent)
        namespace.__path__ = []
        sys.modules[parent] = namespace
    # A file plugin is one module: no scan of sys.modules (which made rediscovering N plugin
    # files cost N x len(sys.modules)). Only a package plugin can have submodules to forget.
    stale = [module_name] if module_name in sys.modules else []
    if is_package:
        stale += [name for name in sys.modules if name.startswith(f"{module_name}.")]
    for name in stale:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        module_name,
        location,
        submodule_search_locations=[str(location.parent)] if is_package else None,
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {location}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    modules = [module]
    if is_package:
        for info in pkgutil.walk_packages([str(location.parent)], f"{module_name}."):
            modules.append(importlib.import_module(info.name))
    return modules


def discover_entry_points(
    group: str = ENTRY_POINT_GROUP, *, runner: BoundedRunner | None = None
) -> DiscoveryResult:
    """Load every entry point of ``group``; each must name a plugin class."""
    result = DiscoveryResult()
    importlib.invalidate_caches()
    for entry_point in _unique(importlib.metadata.entry_points(group=group)):
        dist = entry_point.dist
        package_name = dist.name if dist is not None else None
        label = package_name or entry_point.name
        try:
            loaded = run(runner, entry_point.load, what=f"import of {entry_point.value}")
        except Exception as exc:  # noqa: BLE001 - a broken package must not stop discovery
            result.errors.append(RegistryError(Stage.DISCOVERY, label, _describe(exc)))
            continue
        if not (inspect.isclass(loaded) and issubclass(loaded, InvenTreePlugin)):
            result.errors.append(
                RegistryError(
                    Stage.DISCOVERY,
                    label,
                    f"entry point '{entry_point.name}' = {entry_point.value} is not a plugin class",
                )
            )
            continue
        result.candidates.append(
            Candidate(
                cls=loaded,
                origin=Origin.PACKAGE,
                package_path=loaded.__module__,
                package_name=package_name,
                package_metadata=_package_metadata(dist),
            )
        )
    return result


def _unique(
    entry_points: Iterable[importlib.metadata.EntryPoint],
) -> Iterator[importlib.metadata.EntryPoint]:
    """Skip an entry point seen twice (a package visible on two paths of sys.path)."""
    seen: set[tuple[str, str]] = set()
    for entry_point in entry_points:
        marker = (entry_point.name, entry_point.value)
        if marker not in seen:
            seen.add(marker)
            yield entry_point


def _package_metadata(dist: importlib.metadata.Distribution | None) -> dict[str, str]:
    if dist is None:
        return {}
    meta = dist.metadata
    found = {
        "summary": _field(meta, "Summary"),
        "author": _field(meta, "Author") or _field(meta, "Author-email"),
        "version": dist.version or "",
        "website": _field(meta, "Home-page") or _project_url(meta),
        "license": _field(meta, "License") or _field(meta, "License-Expression"),
    }
    return {key: value for key, value in found.items() if value}


def _project_url(meta: importlib.metadata.PackageMetadata) -> str:
    """Return the ``Project-URL`` labelled as the home page, else the first one."""
    urls: dict[str, str] = {}
    for line in meta.get_all("Project-URL") or []:
        label, _, url = str(line).partition(",")
        urls.setdefault(label.strip().lower(), url.strip())
    for label in ("homepage", "home", "home-page", "source", "repository"):
        if urls.get(label):
            return urls[label]
    return next(iter(urls.values()), "")


def _field(meta: importlib.metadata.PackageMetadata, name: str) -> str:
    """Return one metadata field, or ``""`` when the package does not set it."""
    return str(meta[name] or "") if name in meta else ""


def _module_path(module: ModuleType) -> str:
    """Return the module's file relative to the ``plughost`` package's parent."""
    file = getattr(module, "__file__", None)
    if not file:
        return module.__name__
    path = Path(file)
    for parent in path.parents:
        if parent.name == "plughost":
            return path.relative_to(parent.parent).as_posix()
    return module.__name__


def _ignore(name: str) -> None:
    """Skip a subpackage that fails to import during a walk (its error is recorded later)."""
    del name


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
