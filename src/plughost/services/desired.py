"""The desired set of plugin packages: stored in the database, mirrored in ``plugins.txt``.

The database is the truth that every node shares; each node's ``plugins.txt`` (in its data
dir) mirrors it with plain requirement lines only, for people and tools that read the file.
Lines added to the file by hand are kept but not installed: install through the API so the
package is checked, loaded on trial and recorded. A package's index URL is stored with it
(start-up installs need it) and never written to the file or returned by the API.

Writes happen inside the caller's transaction, together with the registry version bump.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from plughost.core.errors import InstallInputError
from plughost.db.models import PluginPackage
from plughost.installer.requests import InstallTarget, parse_install_request
from plughost.installer.requirements_file import (
    add_requirement,
    read_plugins_file,
    remove_requirement,
    write_plugins_file,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DesiredPackage:
    """One package of the desired set, as read from the database."""

    name: str
    requirement: str
    index_url: str
    version: str
    allow_host_changes: bool

    def reinstall_target(self) -> InstallTarget:
        """What to install on a node that lacks it: the recorded version, from its index.

        A package from a VCS URL is reinstalled from its requirement line as written.
        Raises InstallInputError when the stored line is no longer acceptable.
        """
        requirement = Requirement(self.requirement)
        if requirement.url or not self.version:
            return parse_install_request(self.requirement, None, self.index_url or None)
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        return parse_install_request(
            requirement.name + extras, self.version, self.index_url or None
        )


def list_packages() -> list[DesiredPackage]:
    """Return the desired set, by name."""
    return [
        DesiredPackage(
            name=row.name,
            requirement=row.requirement,
            index_url=row.index_url,
            version=row.version,
            allow_host_changes=row.allow_host_changes,
        )
        for row in PluginPackage.objects.order_by("name")
    ]


def record_package(
    target: InstallTarget, *, version: str, installed_by: str, allow_host_changes: bool
) -> PluginPackage:
    """Add or replace the package of ``target`` (which must know its name); mirror the file."""
    line = target.requirement_line()
    if line is None or target.name is None:
        raise InstallInputError(
            "The installed package's name is unknown; give packagename.", field="packagename"
        )
    row, _ = PluginPackage.objects.update_or_create(
        name=target.name,
        defaults={
            "requirement": line,
            "index_url": target.index_url or "",
            "version": version,
            "allow_host_changes": allow_host_changes,
            "installed_at": timezone.now(),
            "installed_by": installed_by,
        },
    )
    add_requirement(settings.PLUGHOST_PLUGINS_FILE, line)
    return row


def remove_package(name: str) -> bool:
    """Remove package ``name`` from the set and the file; return whether the set had it."""
    key = canonicalize_name(name)
    deleted, _ = PluginPackage.objects.filter(name=key).delete()
    remove_requirement(settings.PLUGHOST_PLUGINS_FILE, key)
    return bool(deleted)


def sync_plugins_file() -> None:
    """Write every package of the set into this node's ``plugins.txt`` (other lines stay)."""
    content = read_plugins_file(settings.PLUGHOST_PLUGINS_FILE)
    for problem in content.dropped:
        logger.warning("plugins.txt: %s", problem)
    stored = {package.name: package.requirement for package in list_packages()}
    for requirement in content.requirements():
        if canonicalize_name(requirement.name) not in stored:
            logger.warning(
                "plugins.txt lists %s, which is not in the installed set: it is not installed "
                "at start-up (install it through the API)",
                requirement.name,
            )
    updated = content
    for line in stored.values():
        updated = updated.with_requirement(line)
    if updated.lines != content.lines:
        write_plugins_file(settings.PLUGHOST_PLUGINS_FILE, updated)
