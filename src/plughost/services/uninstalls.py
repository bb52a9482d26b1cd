"""Uninstall a plugin package: locked, only inactive package plugins, optionally its config."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from packaging.utils import canonicalize_name

from plughost.core.errors import (
    IllegalStateChangeError,
    PluginNotFoundError,
)
from plughost.db.models import AuditAction, InstallFailure, PluginConfig
from plughost.installer import operations
from plughost.installer.runner import Runner
from plughost.services import desired
from plughost.services.audit import Actor, audited
from plughost.services.events import (
    PLUGIN_UNINSTALLED,
    PLUGINS_LOADED,
    trigger_event,
)
from plughost.services.install_lock import install_lock
from plughost.services.install_target import (
    forget_modules,
    make_runner,
    top_level_modules,
)
from plughost.services.install_trial import is_of
from plughost.services.installs import check_installs_enabled, lease_seconds
from plughost.services.package_journal import Operation, journaled, recover_interrupted
from plughost.services.registry import Discovery, fresh_registry, rebuild
from plughost.services.state import Change, bump_version

logger = logging.getLogger(__name__)


class StoredConfig(enum.Enum):
    """What uninstalling does with the plugins' stored configs, settings and metadata."""

    KEEP = "keep"
    DELETE = "delete"


@dataclass(frozen=True)
class UninstallOutcome:
    """A finished uninstall: what was removed."""

    package: str
    version: str | None
    removed_packages: Mapping[str, str]
    plugins: tuple[str, ...]
    deleted_configs: tuple[str, ...]
    output: tuple[str, ...]


def uninstall_plugin(key: str, *, config: StoredConfig, actor: Actor) -> UninstallOutcome:
    """Remove the package of an inactive package plugin, and optionally its stored state.

    Raises PluginNotFoundError, IllegalStateChangeError (active, not a package plugin,
    another plugin of the package active, a package the host needs), InstallDisabledError,
    InstallBusyError or InstallError (pip failed).
    """
    with audited(AuditAction.UNINSTALL, key, actor) as note:
        check_installs_enabled()
        with install_lock(
            f"uninstall {key} by {actor.username}", lease_seconds=lease_seconds()
        ) as holder:
            recover_interrupted(lock_holder=holder)
            outcome = _uninstall_locked(key, config, make_runner(), holder)
        note.message = f"removed {outcome.package} {outcome.version or ''}".rstrip()
        if outcome.deleted_configs:
            note.message += "; deleted configs: " + ", ".join(outcome.deleted_configs)
    trigger_event(PLUGINS_LOADED)
    trigger_event(PLUGIN_UNINSTALLED, package=outcome.package, key=key)
    return outcome


def _uninstall_locked(
    key: str, config: StoredConfig, runner: Runner, holder: str
) -> UninstallOutcome:
    registry = fresh_registry()
    stored = PluginConfig.objects.filter(key=key).first()
    if stored is None:
        raise PluginNotFoundError(f"No plugin with key '{key}'", key=key)
    definition = registry.find_definition(key)
    if stored.active:
        raise IllegalStateChangeError(
            "Plugin cannot be uninstalled as it is currently active", key=key
        )
    if definition is None:
        raise IllegalStateChangeError("Plugin was not found in registry", key=key)
    if not definition.is_package or not definition.package_name:
        raise IllegalStateChangeError(
            f"Plugin is not a packaged plugin: it is a {definition.origin.value} plugin, "
            "which ships with the server or lives in a plugin folder; remove it there instead",
            key=key,
        )
    package = canonicalize_name(definition.package_name)
    plugins = sorted(d.key for d in registry if is_of(d.package_name, {package}))
    active = list(
        PluginConfig.objects.filter(key__in=plugins, active=True).values_list("key", flat=True)
    )
    if active:
        raise IllegalStateChangeError(
            f"Plugin cannot be uninstalled as plugin '{active[0]}' of the same package "
            f"({package}) is active; deactivate it first",
            key=key,
        )
    if package in operations.host_requirement_names():
        raise IllegalStateChangeError(
            f"Plugin cannot be uninstalled: its package {package} is needed by the server itself",
            key=key,
        )
    modules = top_level_modules({package})
    # From pip to the commit, a kill leaves a journal: the next start reinstalls the package.
    with journaled(holder, Operation.UNINSTALL, package, runner) as before:
        result = operations.uninstall(package, runner=runner, before=before)
        forget_modules(modules)
        with transaction.atomic():
            desired.remove_package(package)
            InstallFailure.objects.filter(package=package).delete()
            deleted: list[str] = []
            if config is StoredConfig.DELETE:
                configs = PluginConfig.objects.filter(key__in=plugins)
                deleted = sorted(configs.values_list("key", flat=True))
                configs.delete()
            bump_version(Change.PACKAGES)
    rebuild(Discovery.RECOLLECT)
    return UninstallOutcome(
        package=package,
        version=result.removed.get(package),
        removed_packages=dict(result.removed),
        plugins=tuple(plugins),
        deleted_configs=tuple(deleted),
        output=result.output,
    )
