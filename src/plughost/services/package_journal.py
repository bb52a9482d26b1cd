"""Undo what an install or uninstall killed half-way left in this node's environment.

An API install or uninstall changes the environment first and the database (the desired
set, the registry version) after. A process killed in between (SIGKILL, a power cut, the
OOM killer) leaves packages that no committed state describes: a package the desired set
does not list, an old version replaced, or a package half removed. So before pip runs, the
operation writes a journal to the data dir (the environment is the node's, like the data
dir): who runs it, what it changes, and every installed version before. The journal goes
when the operation ends, whether it succeeded or rolled back.

A journal whose operation no longer runs (it no longer holds the install lock, or its
process is gone) is recovered: when the desired set shows the operation committed, the
journal is dropped; otherwise the environment goes back to the versions written before
(``installer.operations.restore``) and every process rediscovers. Recovery runs when
``serve`` starts, when a server process starts (the watcher's first reconcile) and when an
install or uninstall takes the lock.
"""

from __future__ import annotations

import enum
import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from packaging.utils import canonicalize_name

from plughost.core.errors import PluginError
from plughost.db.models import InstallLock
from plughost.installer import operations
from plughost.installer.environment import Snapshot, compare, take_snapshot
from plughost.installer.runner import Runner
from plughost.services import desired
from plughost.services.install_lock import LOCK_ID, holder_is_running, release_holder
from plughost.services.install_target import forget_modules, make_runner, top_level_modules
from plughost.services.state import Change, bump_version

logger = logging.getLogger(__name__)

JOURNAL_FILE = "install-journal.json"
NODE_LOCK_FILE = "reconcile.lock"


class Operation(enum.Enum):
    """What the journaled operation does to its package."""

    INSTALL = "install"
    UNINSTALL = "uninstall"


@dataclass(frozen=True)
class Journal:
    """One running (or interrupted) install or uninstall of this node."""

    holder: str
    operation: Operation
    package: str | None
    index_url: str | None
    before: Mapping[str, str]

    def as_json(self) -> dict[str, Any]:
        """The journal's file content."""
        return {
            "holder": self.holder,
            "operation": self.operation.value,
            "package": self.package,
            "index_url": self.index_url,
            "before": dict(self.before),
        }

    @classmethod
    def from_json(cls, data: Any) -> Journal:
        """Read a journal file's content; raise TypeError or ValueError when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("before"), dict):
            raise TypeError("not an install journal")
        package = data.get("package")
        index_url = data.get("index_url")
        return cls(
            holder=str(data.get("holder", "")),
            operation=Operation(data.get("operation")),
            package=canonicalize_name(package) if isinstance(package, str) else None,
            index_url=index_url if isinstance(index_url, str) else None,
            before={str(name): str(version) for name, version in data["before"].items()},
        )


@contextmanager
def node_lock() -> Iterator[None]:
    """Hold this node's environment lock (blocking: the other processes of the node wait).

    Reconciling and recovering change this node's environment outside the install lock
    (which is shared by every node); this file lock keeps them one at a time on the node.
    """
    path = Path(settings.PLUGHOST_DATA_DIR) / NODE_LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def journal_path() -> Path:
    """Where this node's journal lives."""
    return Path(settings.PLUGHOST_DATA_DIR) / JOURNAL_FILE


@contextmanager
def journaled(
    holder: str,
    operation: Operation,
    package: str | None,
    runner: Runner,
    *,
    index_url: str | None = None,
) -> Iterator[Snapshot]:
    """Journal an environment change of ``holder``'s; yield the versions before it.

    Call with the install lock held. The journal stays only when the process dies inside.
    """
    before = take_snapshot(runner)
    journal = Journal(holder, operation, package, index_url, dict(before.versions))
    _write(journal)
    try:
        yield before
    finally:
        journal_path().unlink(missing_ok=True)


def recover_interrupted(
    *, lock_holder: str | None = None, starting: bool = False, locked: bool = False
) -> str | None:
    """Recover an interrupted operation's journal; return what was done, or None.

    ``lock_holder`` is the caller's id when it holds the install lock, and ``starting`` says
    that the node starts (``serve``, before its workers): either way no journaled operation
    of this node can be running. ``locked``: the caller holds :func:`node_lock` already.
    Never raises: a recovery that fails is logged and retried at the next occasion, and the
    journal stays.
    """
    if not journal_path().exists():
        return None  # the common case, without a lock
    if not locked:
        with node_lock():
            return recover_interrupted(lock_holder=lock_holder, starting=starting, locked=True)
    journal = read_journal()
    if journal is None:
        return None
    if not starting and not _interrupted(journal, lock_holder):
        return None
    try:
        message = _recover(journal)
    except PluginError as exc:
        logger.exception("recovering an interrupted plugin package change failed: %s", exc.message)
        return None
    journal_path().unlink(missing_ok=True)
    release_holder(journal.holder)  # its holder died with the operation
    logger.warning("%s", message)
    return message


def read_journal() -> Journal | None:
    """Return this node's journal, or None (an unreadable one is logged and set aside)."""
    path = journal_path()
    try:
        return Journal.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (TypeError, ValueError):
        logger.warning("%s is not a readable install journal; moved aside", path)
        path.replace(path.with_suffix(".unreadable"))
        return None


def _interrupted(journal: Journal, lock_holder: str | None) -> bool:
    if lock_holder is not None:
        return journal.holder != lock_holder
    current = InstallLock.objects.filter(pk=LOCK_ID).values_list("holder", flat=True).first()
    if current != journal.holder:
        return True  # the lock moved on (or was freed): that operation no longer runs
    host = journal.holder.partition(":")[0]
    return host == socket.gethostname() and not holder_is_running(journal.holder)


def _recover(journal: Journal) -> str:
    runner = make_runner()
    before = Snapshot(journal.before)
    now = take_snapshot(runner)
    change = compare(before, now)
    what = f"an interrupted {journal.operation.value} of {journal.package or 'a package'}"
    if change.is_empty:
        return f"{what} had changed nothing"
    if _committed(journal, now):
        return f"{what} had committed; kept"
    modules = top_level_modules({*change.added, *change.changed, *change.removed})
    index_url = journal.index_url
    if journal.operation is Operation.UNINSTALL and journal.package is not None:
        listed = {package.name: package for package in desired.list_packages()}
        wanted = listed.get(journal.package)
        index_url = (wanted.index_url or None) if wanted else index_url
    operations.restore(before, runner=runner, index_url=index_url)
    forget_modules(modules)
    bump_version(Change.PACKAGES)  # every process rediscovers the restored environment
    return f"{what} was undone: {', '.join(change.describe())} reverted"


def _committed(journal: Journal, now: Snapshot) -> bool:
    """Whether the database recorded the operation's result (it died after the commit)."""
    listed = {package.name: package.version for package in desired.list_packages()}
    if journal.operation is Operation.UNINSTALL:
        package = journal.package
        return package is not None and package not in listed and now.version_of(package) is None
    candidates = [journal.package] if journal.package else list(now.versions)
    return any(
        name in listed and listed[name] == now.version_of(name) != journal.before.get(name)
        for name in candidates
        if name is not None
    )


def _write(journal: Journal) -> None:
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(journal.as_json(), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
