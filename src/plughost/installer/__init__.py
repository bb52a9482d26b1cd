"""Install and uninstall plugin packages with pip or uv in a subprocess.

Layer rule: this package imports only the standard library, ``packaging`` and
``plughost.core``; it never touches Django or the database, and it does not
check users or take the install lock (``plughost.services`` does both).

Modules, one responsibility each:

* ``requests``          the API's ``packagename``/``version``/``url`` -> :class:`InstallTarget`
* ``secrets``           mask credentials in everything that is returned or raised
* ``runner``            run pip or uv: argument list, clean environment, timeout
* ``environment``       what the target interpreter has installed (snapshots)
* ``operations``        install, uninstall, dry run, host conflicts, restore
* ``requirements_file`` ``plugins.txt`` with plain requirement lines only
"""

from plughost.installer.environment import (
    EnvironmentChange,
    Snapshot,
    compare,
    installed_version,
    take_snapshot,
)
from plughost.installer.operations import (
    ChangeKind,
    DryRunReport,
    InstallResult,
    PackageChange,
    RestoreResult,
    UninstallResult,
    check_project_name,
    dry_run,
    host_conflicts,
    host_requirement_names,
    install,
    raise_for_host_conflicts,
    restore,
    uninstall,
)
from plughost.installer.requests import InstallTarget, parse_install_request
from plughost.installer.requirements_file import (
    PluginsFile,
    add_requirement,
    read_plugins_file,
    remove_requirement,
    write_plugins_file,
)
from plughost.installer.runner import DEFAULT_TIMEOUT, PackageTool, Runner, RunResult
from plughost.installer.secrets import mask_secrets

__all__ = [
    "DEFAULT_TIMEOUT",
    "ChangeKind",
    "DryRunReport",
    "EnvironmentChange",
    "InstallResult",
    "InstallTarget",
    "PackageChange",
    "PackageTool",
    "PluginsFile",
    "RestoreResult",
    "RunResult",
    "Runner",
    "Snapshot",
    "UninstallResult",
    "add_requirement",
    "check_project_name",
    "compare",
    "dry_run",
    "host_conflicts",
    "host_requirement_names",
    "install",
    "installed_version",
    "mask_secrets",
    "parse_install_request",
    "raise_for_host_conflicts",
    "read_plugins_file",
    "remove_requirement",
    "restore",
    "take_snapshot",
    "uninstall",
    "write_plugins_file",
]
