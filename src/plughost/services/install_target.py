"""Where plugin packages are installed, and how this process imports what was installed.

Packages go into the environment of ``settings.PLUGHOST_INSTALL_PYTHON``: by default the
server's own interpreter, so what pip installs is on ``sys.path`` already. When it names
another interpreter (a venv beside the host's, as the tests use), that environment's
``site-packages`` folders are *appended* to ``sys.path`` before discovery: plugins import
from there, while the host's own packages keep precedence, so a plugin environment can
never replace Django or another package the server runs on. The other interpreter must run
the same Python version (compiled extensions are built for one); otherwise its folders are
not added and an error is logged.

Installing replaces code that this process may already have imported, so
:func:`top_level_modules` and :func:`forget_modules` drop a changed distribution's modules
from ``sys.modules`` and the next import reads the new files.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import json
import logging
import sys
from collections.abc import Collection

from django.conf import settings
from packaging.utils import canonicalize_name

from plughost.core.errors import InstallError
from plughost.installer.operations import host_requirement_names
from plughost.installer.runner import Runner

logger = logging.getLogger(__name__)

_SITE_PATHS = """
import json, sys, sysconfig
paths = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
print(json.dumps({"version": list(sys.version_info[:2]), "paths": paths}))
"""

_NOT_MODULES = (".dist-info", ".egg-info", ".data")


def install_python() -> str:
    """Return the interpreter whose environment plugin packages are installed into."""
    return str(getattr(settings, "PLUGHOST_INSTALL_PYTHON", "") or sys.executable)


def make_runner() -> Runner:
    """Return the package tool runner for the install environment, with the install timeout."""
    return Runner(python=install_python(), timeout=float(settings.PLUGHOST_INSTALL_TIMEOUT))


def ensure_importable() -> None:
    """Append the install environment's site folders to ``sys.path`` (once; never raises)."""
    python = install_python()
    if python == sys.executable:
        return
    try:
        paths = site_paths(python)
    except InstallError as exc:
        logger.exception("plugin packages of %s cannot be imported: %s", python, exc.message)
        return
    for path in paths:
        if path not in sys.path:
            sys.path.append(path)
    importlib.invalidate_caches()


@functools.lru_cache(maxsize=16)
def site_paths(python: str) -> tuple[str, ...]:
    """Return the site folders of ``python``; raise InstallError if it cannot be used here."""
    result = Runner(python=python).run_python(_SITE_PATHS, timeout=30.0)
    try:
        found = json.loads(result.output[-1]) if result.succeeded else None
    except (IndexError, ValueError):
        found = None
    if not isinstance(found, dict):
        raise InstallError(
            f"The install interpreter {python} did not run; check PLUGHOST_INSTALL_PYTHON.",
            output=result.output,
        )
    version = tuple(found["version"])
    if version != tuple(sys.version_info[:2]):
        raise InstallError(
            f"The install interpreter {python} runs Python {'.'.join(map(str, version))}, "
            f"the server Python {sys.version_info[0]}.{sys.version_info[1]}; "
            "PLUGHOST_INSTALL_PYTHON must name an interpreter of the same version."
        )
    return tuple(dict.fromkeys(str(path) for path in found["paths"]))


def top_level_modules(packages: Collection[str]) -> set[str]:
    """Return the top-level module names that the installed distributions ``packages`` provide.

    Read from ``top_level.txt`` where the build wrote one, else from the file list.
    Modules of the host's own dependencies are never included.
    """
    wanted = {canonicalize_name(name) for name in packages}
    if not wanted:
        return set()
    importlib.invalidate_caches()
    found: set[str] = set()
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) in wanted:
            found |= _modules_of(dist)
    return found - _host_modules()


def forget_modules(modules: Collection[str]) -> None:
    """Drop ``modules`` and their submodules from ``sys.modules`` (the next import rereads)."""
    if not modules:
        return
    for name in list(sys.modules):
        if name.partition(".")[0] in modules:
            del sys.modules[name]
    importlib.invalidate_caches()


def _modules_of(dist: importlib.metadata.Distribution) -> set[str]:
    text = dist.read_text("top_level.txt") or ""
    names = {line.strip() for line in text.splitlines() if line.strip()}
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0] == ".." or parts[0].endswith(_NOT_MODULES):
            continue
        top = parts[0].removesuffix(".py") if len(parts) == 1 else parts[0]
        if len(parts) == 1 and not parts[0].endswith(".py"):
            continue
        names.add(top)
    return {name for name in names if name.isidentifier() and not name.startswith("__")}


@functools.lru_cache(maxsize=1)
def _host_modules() -> frozenset[str]:
    """Top-level modules of the host and its dependencies (never forgotten)."""
    host = host_requirement_names()
    found: set[str] = {"plughost"}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) in host:
            found |= _modules_of(dist)
    return frozenset(found)
