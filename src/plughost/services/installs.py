"""Install and uninstall plugin packages: locked, bounded, checked, rolled back when they fail.

An install, in order, under the install lock (one at a time across every process and node):

1. refuse when installs are switched off (``PLUGHOST_PLUGIN_NOINSTALL``);
2. unless the caller allows it, resolve with ``pip --dry-run`` and refuse an install that
   would change a package the host itself depends on (400 listing the conflicts);
3. install with uv or pip, bounded by ``PLUGHOST_INSTALL_TIMEOUT``; a failed or timed-out
   run leaves the environment as it was (``plughost.installer``);
4. load the changed packages' plugins on trial: discover and define them, then instantiate
   them and call ``ready()`` with the real host *as if they were active* (bounded by the
   plugin load timeout), without swapping anything in, and throw the instances away. New
   plugins start inactive, so without the trial a plugin that fails in ``ready()`` would
   only fail later, when someone activates it. (``AppMixin`` plugins are only imported on
   trial: their Django app joins the process when they are activated.);
5. when the trial fails, restore the previous packages (the earlier version reinstalled, a
   new package removed), store the failure (``status/`` lists it until the package is
   installed successfully or uninstalled), tell every process to rediscover, and answer 400
   with the load error;
6. otherwise record the package in the desired set, mirror ``plugins.txt`` and bump the
   registry version in one transaction, then rebuild this process's registry (the other
   processes follow the version).

Every attempt, refused or not, is written to the audit log.
"""

from __future__ import annotations

import enum
import importlib.metadata
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from packaging.utils import canonicalize_name

from plughost.core.definition import (
    Definitions,
    PluginDefinition,
    RegistryError,
    Stage,
    define_plugins,
)
from plughost.core.errors import (
    IllegalStateChangeError,
    InstallDisabledError,
    InstallError,
    PluginError,
    PluginNotFoundError,
    UnknownSettingError,
)
from plughost.core.mixins import AppMixin
from plughost.core.registry import build_registry
from plughost.db.models import AuditAction, InstallFailure, PluginConfig, PluginSetting
from plughost.installer import operations
from plughost.installer.environment import Snapshot, take_snapshot
from plughost.installer.operations import DryRunReport, InstallResult
from plughost.installer.requests import InstallTarget, parse_install_request
from plughost.installer.runner import Runner
from plughost.installer.secrets import mask_secrets
from plughost.runtime import holder
from plughost.services import desired
from plughost.services.audit import SYSTEM, Actor, AuditNote, audited
from plughost.services.events import (
    PLUGIN_INSTALLED,
    PLUGIN_UNINSTALLED,
    PLUGINS_LOADED,
    trigger_event,
)
from plughost.services.host import host
from plughost.services.install_lock import install_lock
from plughost.services.install_target import (
    ensure_importable,
    forget_modules,
    make_runner,
    top_level_modules,
)
from plughost.services.notifications import notify_install_failed, notify_install_succeeded
from plughost.services.registry import Discovery, current_registry, rebuild
from plughost.services.sources import discover_all, plugin_code_runner
from plughost.services.state import Change, bump_version

logger = logging.getLogger(__name__)

LOCK_MARGIN_SECONDS = 120.0
APP_MIXIN = AppMixin.MIXIN_KEY
STARTUP_WAIT_SECONDS = 60.0


class HostChanges(enum.Enum):
    """Whether an install may change packages the host itself depends on."""

    REFUSE = "refuse"
    ALLOW = "allow"


class StoredConfig(enum.Enum):
    """What uninstalling does with the plugins' stored configs, settings and metadata."""

    KEEP = "keep"
    DELETE = "delete"


@dataclass(frozen=True)
class InstallRequest:
    """The install request's three text fields, as given (validated by :meth:`target`)."""

    packagename: str | None = None
    version: str | None = None
    url: str | None = None

    def target(self) -> InstallTarget:
        """Return the validated target; raise InstallInputError naming the bad field."""
        return parse_install_request(self.packagename, self.version, self.url)

    def describe(self) -> str:
        """A masked one-line description, for the audit log of a request that did not parse."""
        parts = [self.packagename or ""]
        if self.version:
            parts.append(f"version {self.version}")
        if self.url:
            parts.append(f"from {self.url}")
        return mask_secrets(" ".join(part for part in parts if part)) or "(nothing)"


@dataclass(frozen=True)
class InstallOutcome:
    """A finished install: the package, its version, the plugin keys it brought, pip's output."""

    target: str
    package: str | None
    version: str | None
    plugins: tuple[str, ...]
    changes: tuple[str, ...]
    output: tuple[str, ...]


@dataclass(frozen=True)
class DryRunOutcome:
    """What an install would do, and which of the host's packages it would change."""

    target: str
    report: DryRunReport
    conflicts: tuple[str, ...]


@dataclass(frozen=True)
class UninstallOutcome:
    """A finished uninstall: what was removed."""

    package: str
    version: str | None
    removed_packages: Mapping[str, str]
    plugins: tuple[str, ...]
    deleted_configs: tuple[str, ...]
    output: tuple[str, ...]


@dataclass(frozen=True)
class StartupInstall:
    """One package of the desired set, as the start-up found and left it."""

    package: str
    ok: bool
    message: str


@dataclass
class _Installed:
    """An install between pip and the commit: what changed, and the modules concerned."""

    result: InstallResult
    name: str | None
    changed: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)


def check_installs_enabled() -> None:
    """Raise InstallDisabledError when installs are switched off on this server."""
    if settings.PLUGHOST_PLUGIN_NOINSTALL:
        raise InstallDisabledError(
            "Plugin installation is disabled on this server (PLUGHOST_PLUGIN_NOINSTALL=1)"
        )


def lease_seconds() -> float:
    """How long the install lock is leased: longer than the longest install can run."""
    return float(settings.PLUGHOST_INSTALL_TIMEOUT) * 3 + LOCK_MARGIN_SECONDS


# --- install --------------------------------------------------------------------------------


def install_package(
    request: InstallRequest, *, host_changes: HostChanges = HostChanges.REFUSE, actor: Actor
) -> InstallOutcome:
    """Install a package, load its plugins on trial, and record it; roll back on failure.

    Raises InstallInputError (bad field), InstallDisabledError, InstallBusyError,
    InstallConflictError (host packages would change) or InstallError (pip failed or timed
    out, or a plugin failed to load and the previous packages were restored).
    """
    with audited(AuditAction.INSTALL, request.describe(), actor) as note:
        check_installs_enabled()
        target = request.target()
        note.target = target.describe()
        try:
            with install_lock(
                f"install {target.describe()} by {actor.username}", lease_seconds=lease_seconds()
            ):
                outcome = _install_locked(target, host_changes, actor, make_runner())
        except InstallError as exc:
            notify_install_failed(target.describe(), exc.message)
            raise
        note.message = _summary(outcome)
    trigger_event(PLUGINS_LOADED)
    trigger_event(PLUGIN_INSTALLED, package=outcome.package, plugins=list(outcome.plugins))
    notify_install_succeeded(
        outcome.package or outcome.target, outcome.version, list(outcome.plugins)
    )
    return outcome


def dry_run_package(request: InstallRequest, *, actor: Actor) -> DryRunOutcome:
    """Resolve an install with ``pip --dry-run``; nothing changes. Raises as an install does."""
    with audited(AuditAction.DRY_RUN, request.describe(), actor) as note:
        check_installs_enabled()
        target = request.target()
        note.target = target.describe()
        report = operations.dry_run(target, runner=make_runner())
        conflicts = operations.host_conflicts(report, operations.host_requirement_names())
        outcome = DryRunOutcome(target.describe(), report, tuple(conflicts))
        note.message = "would " + (
            ", ".join(change.describe() for change in report.changes) or "change nothing"
        )
        if conflicts:
            note.message += "; host packages would change: " + ", ".join(conflicts)
        return outcome


def _install_locked(
    target: InstallTarget, host_changes: HostChanges, actor: Actor, runner: Runner
) -> InstallOutcome:
    if host_changes is HostChanges.REFUSE:
        report = operations.dry_run(target, runner=runner)
        operations.raise_for_host_conflicts(report, operations.host_requirement_names())
    installed = _run_install(target, runner)
    failures = _trial_load(installed.changed)
    if failures:
        raise _roll_back(target, installed, failures, runner)
    name = installed.name
    version = installed.result.after.version_of(name) if name else None
    with transaction.atomic():
        if name is not None:
            desired.record_package(
                target.with_name(name),
                version=version or "",
                installed_by=actor.username,
                allow_host_changes=host_changes is HostChanges.ALLOW,
            )
            InstallFailure.objects.filter(package=name).delete()
        bump_version(Change.PACKAGES)
    registry = rebuild(Discovery.RECOLLECT)
    packages = installed.changed | ({name} if name else set())
    return InstallOutcome(
        target=target.describe(),
        package=name,
        version=version,
        plugins=tuple(sorted(d.key for d in registry if _is_of(d.package_name, packages))),
        changes=tuple(installed.result.changes.describe()),
        output=installed.result.output,
    )


def _run_install(target: InstallTarget, runner: Runner) -> _Installed:
    """Run pip or uv; make the changed code importable here, forgetting the old modules."""
    result = operations.install(target, runner=runner)
    ensure_importable()
    changes = result.changes
    installed = _Installed(
        result=result,
        name=target.name or _installed_name(set(changes.added) | set(changes.changed)),
        changed=set(changes.added) | set(changes.changed),
    )
    installed.modules = top_level_modules(installed.changed)
    forget_modules(installed.modules)
    return installed


def _installed_name(changed: set[str]) -> str | None:
    """The project a bare VCS URL installed: the one changed package from a VCS, if unique."""
    from_vcs = [name for name in sorted(changed) if _is_from_vcs(name)]
    candidates = from_vcs or sorted(changed)
    return candidates[0] if len(candidates) == 1 else None


def _is_from_vcs(name: str) -> bool:
    try:
        text = importlib.metadata.distribution(name).read_text("direct_url.json") or ""
    except importlib.metadata.PackageNotFoundError:
        return False
    return '"vcs_info"' in text


def _trial_load(packages: set[str]) -> list[RegistryError]:
    """Load the plugins of ``packages`` as if active, with ``ready()``; return their failures.

    Nothing is swapped in and the instances are discarded. Failures that concern other
    plugins are not this install's business and are left to the registry.
    """
    if not packages:
        return []
    runner = plugin_code_runner()  # a plugin that hangs on trial is a failure, not a hang
    with holder.rebuilding():  # discovery imports modules: not alongside a rebuild
        found = discover_all(runner)
        definitions = define_plugins(
            found.candidates, host_version=str(settings.PLUGHOST_HOST_VERSION)
        )
        theirs = {
            candidate.cls.plugin_key() or candidate.cls.__name__
            for candidate in found.candidates
            if _is_of(candidate.package_name, packages)
        }
        errors = [error for error in found.errors if canonicalize_name(error.name) in packages]
        errors += [error for error in definitions.errors if error.name in theirs]
        # An AppMixin plugin is a Django app that joins the process only when activated
        # (services.plugin_apps), so its instance is not tried here, only its import.
        on_trial = {
            key: definition
            for key, definition in definitions.by_key.items()
            if _is_of(definition.package_name, packages)
            and definition.compatible
            and not definition.has_mixin(APP_MIXIN)
        }
        trial = build_registry(
            Definitions(by_key=on_trial, errors=()),
            active_keys=set(on_trial),
            host=TrialHost(on_trial),
            runner=runner,
        )
    return errors + list(trial.errors)


def _roll_back(
    target: InstallTarget,
    installed: _Installed,
    failures: list[RegistryError],
    runner: Runner,
) -> InstallError:
    """Restore the previous packages, record the failure, and return the error to raise."""
    reasons = "; ".join(f"{e.name} ({e.stage.value}): {e.message}" for e in failures)
    changes = installed.result.changes
    undone = (
        "so the previous packages were restored"
        if changes.changed or changes.removed
        else "so it was removed again"
    )
    message = (
        f"{target.describe()} was installed, but its plugins failed to load, {undone}. {reasons}"
    )
    output = list(installed.result.output)
    try:
        restored = operations.restore(
            installed.result.before, runner=runner, index_url=target.index_url
        )
        output += restored.output
    except InstallError as exc:
        message += f" Restoring the previous packages failed too: {exc.message}"
        output += exc.output
    forget_modules(installed.modules | top_level_modules(installed.changed))
    package = installed.name or (sorted(installed.changed)[0] if installed.changed else "")
    with transaction.atomic():
        if package:
            InstallFailure.objects.update_or_create(
                package=package,
                defaults={
                    "stage": failures[0].stage.value,
                    "name": failures[0].name,
                    "message": mask_secrets(
                        f"Installing {target.describe()} was rolled back: {reasons}"
                    ),
                    "created": timezone.now(),
                },
            )
        # A process that rediscovered in the meantime saw the failed code: all rediscover.
        bump_version(Change.PACKAGES)
    rebuild(Discovery.RECOLLECT)
    return InstallError(message, output=output)


def _is_of(package_name: str | None, packages: set[str]) -> bool:
    return package_name is not None and canonicalize_name(package_name) in packages


def _summary(outcome: InstallOutcome) -> str:
    installed = f"{outcome.package} {outcome.version}" if outcome.package else outcome.target
    plugins = ", ".join(outcome.plugins) or "none"
    return f"installed {installed}; plugins: {plugins}"


class TrialHost:
    """The host as plugins on trial see it: their settings come from the new definitions.

    Values stored for an earlier version are read; nothing is ever written (a trial is
    discarded). Questions about other plugins go to the real host.
    """

    def __init__(self, definitions: Mapping[str, PluginDefinition]) -> None:
        self._definitions = definitions

    @property
    def host_version(self) -> str:
        """Return the host version the real host reports."""
        return host.host_version

    def is_active(self, key: str) -> bool:
        """Plugins on trial run as if active."""
        return key in self._definitions or host.is_active(key)

    def get_setting(self, key: str, setting: str) -> object:
        """Return the stored value, or the declared default of a plugin on trial."""
        definition = self._definitions.get(key)
        if definition is None:
            return host.get_setting(key, setting)
        spec = definition.find_setting(setting)
        if spec is None:
            raise UnknownSettingError(
                f"Plugin '{key}' has no setting matching '{setting}'", key=key, setting=setting
            )
        stored = (
            PluginSetting.objects.filter(plugin__key=key, key=spec.key.upper())
            .values_list("value", flat=True)
            .first()
        )
        return spec.to_python(stored if stored is not None else spec.default_value())

    def set_setting(self, key: str, setting: str, value: object) -> None:
        """Validate a value of a plugin on trial without storing it."""
        definition = self._definitions.get(key)
        if definition is None:
            host.set_setting(key, setting, value)
            return
        spec = definition.find_setting(setting)
        if spec is None:
            raise UnknownSettingError(
                f"Plugin '{key}' has no setting matching '{setting}'", key=key, setting=setting
            )
        spec.clean(value)

    def get_config(self, key: str) -> PluginConfig | None:
        """Return the stored config (None for a plugin never seen before)."""
        return host.get_config(key)


# --- uninstall ------------------------------------------------------------------------------


def uninstall_plugin(key: str, *, config: StoredConfig, actor: Actor) -> UninstallOutcome:
    """Remove the package of an inactive package plugin, and optionally its stored state.

    Raises PluginNotFoundError, IllegalStateChangeError (active, not a package plugin,
    another plugin of the package active, a package the host needs), InstallDisabledError,
    InstallBusyError or InstallError (pip failed).
    """
    with audited(AuditAction.UNINSTALL, key, actor) as note:
        check_installs_enabled()
        with install_lock(f"uninstall {key} by {actor.username}", lease_seconds=lease_seconds()):
            outcome = _uninstall_locked(key, config, make_runner())
        note.message = f"removed {outcome.package} {outcome.version or ''}".rstrip()
        if outcome.deleted_configs:
            note.message += "; deleted configs: " + ", ".join(outcome.deleted_configs)
    trigger_event(PLUGINS_LOADED)
    trigger_event(PLUGIN_UNINSTALLED, package=outcome.package, key=key)
    return outcome


def _uninstall_locked(key: str, config: StoredConfig, runner: Runner) -> UninstallOutcome:
    registry = current_registry()
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
    plugins = sorted(d.key for d in registry if _is_of(d.package_name, {package}))
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
    result = operations.uninstall(package, runner=runner)
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


# --- start-up and status --------------------------------------------------------------------


def install_missing_packages() -> list[StartupInstall]:
    """Install the desired packages that this node's environment lacks (at start-up).

    Mirrors ``plugins.txt`` first. Each package is installed at its recorded version from
    its recorded index, with the same host-package check as the API. Failures are logged
    and returned, never raised: a start-up must not die because an index is down.
    """
    desired.sync_plugins_file()
    packages = desired.list_packages()
    if not packages:
        return []
    runner = make_runner()
    try:
        with install_lock(
            "start-up install", lease_seconds=lease_seconds(), wait_seconds=STARTUP_WAIT_SECONDS
        ):
            results = install_missing(packages, take_snapshot(runner), runner)
    except PluginError as exc:
        logger.exception("start-up install of plugin packages skipped: %s", exc.message)
        return [StartupInstall(package.name, False, exc.message) for package in packages]
    return results


def lacking(
    packages: list[desired.DesiredPackage], installed: Snapshot
) -> list[desired.DesiredPackage]:
    """Return the packages of the desired set that ``installed`` lacks or has at another version."""
    found = []
    for package in packages:
        version = installed.version_of(package.name)
        if version is None or (package.version and version != package.version):
            found.append(package)
    return found


def install_missing(
    packages: list[desired.DesiredPackage], installed: Snapshot, runner: Runner
) -> list[StartupInstall]:
    """Install each package that ``installed`` lacks; the caller holds the right lock."""
    return [
        _install_missing(package, installed.version_of(package.name), runner)
        for package in packages
    ]


def _install_missing(
    package: desired.DesiredPackage, version: str | None, runner: Runner
) -> StartupInstall:
    if version is not None and (not package.version or version == package.version):
        return StartupInstall(package.name, True, f"{package.name} {version} is installed")
    try:
        target = package.reinstall_target()
        with audited(AuditAction.INSTALL, target.describe(), SYSTEM) as note:
            if not package.allow_host_changes:
                report = operations.dry_run(target, runner=runner)
                operations.raise_for_host_conflicts(report, operations.host_requirement_names())
            result = operations.install(target, runner=runner)
            note.message = "start-up install: " + ", ".join(result.changes.describe())
    except PluginError as exc:
        logger.exception("start-up install of %s failed: %s", package.name, exc.message)
        return StartupInstall(package.name, False, exc.message)
    logger.info("start-up install: %s", note.message)
    return StartupInstall(package.name, True, note.message)


def install_failures() -> list[RegistryError]:
    """Return the stored failures of rolled-back installs (shown with the registry errors)."""
    failures = []
    for row in InstallFailure.objects.order_by("created", "id"):
        try:
            stage = Stage(row.stage)
        except ValueError:
            stage = Stage.DISCOVERY
        failures.append(RegistryError(stage, row.name, row.message))
    return failures


__all__ = [
    "Actor",
    "AuditNote",
    "DryRunOutcome",
    "HostChanges",
    "InstallOutcome",
    "InstallRequest",
    "StartupInstall",
    "StoredConfig",
    "UninstallOutcome",
    "check_installs_enabled",
    "dry_run_package",
    "install_failures",
    "install_missing_packages",
    "install_package",
    "uninstall_plugin",
]
