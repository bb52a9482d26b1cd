"""Install plugin packages: locked, bounded, checked, rolled back when they fail to load.

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
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from plughost.core.definition import (
    RegistryError,
    Stage,
)
from plughost.core.errors import (
    InstallDisabledError,
    InstallError,
)
from plughost.core.mixins import AppMixin
from plughost.db.models import AuditAction, InstallFailure
from plughost.installer import operations
from plughost.installer.environment import Snapshot
from plughost.installer.operations import DryRunReport, InstallResult
from plughost.installer.requests import InstallTarget, parse_install_request
from plughost.installer.runner import Runner
from plughost.installer.secrets import mask_secrets
from plughost.runtime import holder
from plughost.services import desired
from plughost.services.audit import Actor, audited
from plughost.services.events import (
    PLUGIN_INSTALLED,
    PLUGINS_LOADED,
    trigger_event,
)
from plughost.services.install_lock import install_lock
from plughost.services.install_target import (
    ensure_importable,
    forget_modules,
    make_runner,
    top_level_modules,
)
from plughost.services.install_trial import is_of, trial_load
from plughost.services.notifications import notify_install_failed, notify_install_succeeded
from plughost.services.package_journal import Operation, journaled, recover_interrupted
from plughost.services.registry import Discovery, rebuild
from plughost.services.state import Change, bump_version

logger = logging.getLogger(__name__)

LOCK_MARGIN_SECONDS = 120.0
APP_MIXIN = AppMixin.MIXIN_KEY


class HostChanges(enum.Enum):
    """Whether an install may change packages the host itself depends on."""

    REFUSE = "refuse"
    ALLOW = "allow"


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
    if not settings.PLUGHOST_PLUGINS_ENABLED:
        raise InstallDisabledError(
            "Plugins are disabled on this server (PLUGHOST_PLUGINS_ENABLED=0), "
            "so plugin installation is too"
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
            ) as holder:
                recover_interrupted(lock_holder=holder)
                outcome = _install_locked(target, host_changes, actor, make_runner(), holder)
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
    target: InstallTarget, host_changes: HostChanges, actor: Actor, runner: Runner, holder: str
) -> InstallOutcome:
    if host_changes is HostChanges.REFUSE:
        report = operations.dry_run(target, runner=runner)
        operations.raise_for_host_conflicts(report, operations.host_requirement_names())
    # From pip to the commit, a kill leaves a journal: the next start undoes the change.
    with journaled(
        holder, Operation.INSTALL, target.name, runner, index_url=target.index_url
    ) as before:
        installed = _run_install(target, runner, before)
        failures = trial_load(installed.changed)
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
        plugins=tuple(sorted(d.key for d in registry if is_of(d.package_name, packages))),
        changes=tuple(installed.result.changes.describe()),
        output=installed.result.output,
    )


def _run_install(target: InstallTarget, runner: Runner, before: Snapshot) -> _Installed:
    """Run pip or uv; make the changed code importable here, forgetting the old modules."""
    result = operations.install(target, runner=runner, before=before)
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


def _summary(outcome: InstallOutcome) -> str:
    installed = f"{outcome.package} {outcome.version}" if outcome.package else outcome.target
    plugins = ", ".join(outcome.plugins) or "none"
    return f"installed {installed}; plugins: {plugins}"


def install_failures() -> tuple[RegistryError, ...]:
    """Return the stored failures of rolled-back installs (shown with the registry errors).

    Read once per registry snapshot: every change to them bumps the collect version with
    it, which swaps the snapshot (and forgets this) in every process.
    """

    def load() -> tuple[RegistryError, ...]:
        failures = []
        for row in InstallFailure.objects.order_by("created", "id"):
            try:
                stage = Stage(row.stage)
            except ValueError:
                stage = Stage.DISCOVERY
            failures.append(RegistryError(stage, row.name, row.message))
        return tuple(failures)

    return holder.cached("install failures", load, per_snapshot=True)
