"""Install and uninstall plugin packages: locked, bounded, rolled back when they fail to load."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from plughost.core.errors import IllegalStateChangeError, InstallDisabledError, InstallError
from plughost.core.registry import Registry
from plughost.db.models import PluginConfig
from plughost.installer import operations
from plughost.installer.requests import InstallTarget
from plughost.installer.runner import Runner
from plughost.installer.secrets import mask_secrets
from plughost.services.install_lock import install_lock
from plughost.services.registry import Discovery, current_registry, reload_registry

LOCK_MARGIN_SECONDS = 120.0


@dataclass(frozen=True)
class Actor:
    """Who asked for a change, and from which address (for the audit log)."""

    username: str
    address: str


@dataclass(frozen=True)
class InstallOptions:
    """Plughost's extensions of the install request."""

    dry_run: bool = False
    allow_host_changes: bool = False


def check_installs_enabled() -> None:
    """Raise InstallDisabledError when installs are switched off on this server."""
    if settings.PLUGHOST_PLUGIN_NOINSTALL:
        raise InstallDisabledError(
            "Plugin installation is disabled on this server (PLUGHOST_PLUGIN_NOINSTALL=1)"
        )


def make_runner() -> Runner:
    """Return the package tool runner for this host's environment, with its timeout."""
    return Runner(timeout=float(settings.PLUGHOST_INSTALL_TIMEOUT))


def _lease() -> float:
    return float(settings.PLUGHOST_INSTALL_TIMEOUT) * 3 + LOCK_MARGIN_SECONDS


def install_plugin(
    target: InstallTarget, options: InstallOptions, *, actor: Actor, echo: dict[str, Any]
) -> dict[str, Any]:
    """Install ``target`` (or resolve it, for a dry run) and load what it brings.

    The new plugins start inactive. If they fail to import or load, the earlier state is
    restored and InstallError carries the load error.
    """
    del actor  # recorded by the audit log (install issue)
    check_installs_enabled()
    runner = make_runner()
    host_packages = operations.host_requirement_names()
    if options.dry_run:
        report = operations.dry_run(target, runner=runner)
        return {
            "success": "Dry run: nothing was installed",
            "result": f"Resolved {target.describe()}",
            "output": "\n".join(report.output),
            "input": echo,
            "dry_run": report.as_dict(),
            "conflicts": operations.host_conflicts(report, host_packages),
        }
    with install_lock(f"install {target.describe()}", lease_seconds=_lease()):
        if not options.allow_host_changes:
            operations.raise_for_host_conflicts(
                operations.dry_run(target, runner=runner), host_packages
            )
        result = operations.install(target, runner=runner)
        changed = set(result.changes.added) | set(result.changes.changed)
        _forget_modules(changed)
        registry = reload_registry(Discovery.RECOLLECT)
        failures = _load_failures(registry, changed)
        if failures:
            operations.restore(result.before, runner=runner, index_url=target.index_url)
            _forget_modules(changed)
            reload_registry(Discovery.RECOLLECT)
            raise InstallError(
                f"{target.describe()} was installed but failed to load, so the previous state "
                "was restored: " + "; ".join(failures),
                output=[mask_secrets(line) for line in result.output],
            )
    keys = sorted(
        d.key for d in registry if d.package_name and _canonical(d.package_name) in changed
    )
    return {
        "success": "Installed plugin successfully",
        "result": f"Installed {target.describe()}",
        "output": "\n".join(mask_secrets(line) for line in result.output),
        "input": echo,
        "plugins": keys,
    }


def uninstall_plugin(key: str, *, delete_config: bool, actor: Actor) -> dict[str, Any]:
    """Remove the package of an inactive package plugin; optionally its stored config."""
    del actor
    check_installs_enabled()
    registry = current_registry()
    config = PluginConfig.objects.get(key=key)
    definition = registry.find_definition(key)
    if config.active:
        raise IllegalStateChangeError(
            "Plugin cannot be uninstalled as it is currently active", key=key
        )
    if definition is None:
        raise IllegalStateChangeError("Plugin was not found in registry", key=key)
    if not definition.is_package or not definition.package_name:
        origin = definition.origin.value
        raise IllegalStateChangeError(
            f"Plugin is not a packaged plugin (it is a {origin} plugin; "
            "remove a folder plugin's file instead)",
            key=key,
        )
    runner = make_runner()
    with install_lock(f"uninstall {definition.package_name}", lease_seconds=_lease()):
        result = operations.uninstall(definition.package_name, runner=runner)
        if delete_config:
            with transaction.atomic():
                PluginConfig.objects.filter(key=key).delete()
        _forget_modules(set(result.removed))
        reload_registry(Discovery.RECOLLECT)
    return {
        "success": "Uninstalled plugin successfully",
        "result": f"Uninstalled {definition.package_name}",
        "output": "\n".join(result.output),
        "delete_config": delete_config,
        "removed": sorted(result.removed),
    }


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _load_failures(registry: Registry, packages: set[str]) -> list[str]:
    names = {d.key for d in registry if d.package_name and _canonical(d.package_name) in packages}
    return [
        f"{error.name} ({error.stage.value}): {error.message}"
        for error in registry.errors
        if error.name in names or _canonical(error.name) in packages
    ]


def _forget_modules(packages: set[str]) -> None:
    """Drop imported modules of changed distributions so the new code is imported."""
    if not packages:
        return
    importlib.invalidate_caches()
    tops: set[str] = set()
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and _canonical(name) in packages:
            text = dist.read_text("top_level.txt") or ""
            tops.update(line.strip() for line in text.splitlines() if line.strip())
            tops.add(name.replace("-", "_"))
    for module in list(sys.modules):
        if module.split(".")[0] in tops:
            del sys.modules[module]
