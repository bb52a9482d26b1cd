"""Read and write ``plugins.txt``: plain requirement lines and comments, nothing else.

InvenTree 198 wrote whatever was installed as a line and replayed the file
with ``pip install -r`` at start-up, so a line like ``-i http://evil`` or
``-r /etc/passwd`` became a pip option; its matcher only understood ``==``,
so other lines were duplicated and never removed (behaviour spec 4.3, 9.3,
9.15). Here every line is parsed with the same rules as an API request; a
line that is not a plain requirement is dropped with a warning and never
reaches pip. Lines are matched by canonical project name, and the file is
replaced atomically so a crash never leaves half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from plughost.core.errors import InstallInputError
from plughost.installer.requests import parse_requirement_line
from plughost.installer.secrets import mask_secrets

HEADER = "# Plugin packages installed by plughost; one plain requirement per line.\n"

_INLINE_COMMENT = re.compile(r"\s+#.*$")


@dataclass(frozen=True)
class PluginsFile:
    """The kept lines of ``plugins.txt`` (comments, blanks, valid requirements) and warnings."""

    lines: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    def requirements(self) -> list[Requirement]:
        """The requirement lines, parsed, in file order."""
        found: list[Requirement] = []
        for line in self.lines:
            requirement = _requirement_of(line)
            if requirement is not None:
                found.append(requirement)
        return found

    def find(self, name: str) -> Requirement | None:
        """The requirement for project ``name`` (any spelling), or None."""
        key = canonicalize_name(name)
        for requirement in self.requirements():
            if canonicalize_name(requirement.name) == key:
                return requirement
        return None

    def with_requirement(self, line: str) -> PluginsFile:
        """Add ``line``, replacing the line of the same project in place if there is one."""
        requirement = parse_requirement_line(line)
        key = canonicalize_name(requirement.name)
        new_line = str(requirement)
        lines: list[str] = []
        replaced = False
        for existing in self.lines:
            current = _requirement_of(existing)
            if current is not None and canonicalize_name(current.name) == key:
                if not replaced:
                    lines.append(new_line)
                    replaced = True
                continue
            lines.append(existing)
        if not replaced:
            lines.append(new_line)
        return PluginsFile(lines=tuple(lines), dropped=self.dropped)

    def without(self, name: str) -> PluginsFile:
        """Remove every line of project ``name`` (any spelling)."""
        key = canonicalize_name(name)
        lines = tuple(
            line
            for line in self.lines
            if (req := _requirement_of(line)) is None or canonicalize_name(req.name) != key
        )
        return PluginsFile(lines=lines, dropped=self.dropped)

    def text(self) -> str:
        """The file content, each line newline-terminated."""
        return "".join(f"{line}\n" for line in self.lines)


def parse_plugins_text(text: str) -> PluginsFile:
    """Keep comments, blanks and valid requirement lines; drop the rest with a warning."""
    lines: list[str] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            lines.append(line)
            continue
        try:
            requirement = parse_requirement_line(_INLINE_COMMENT.sub("", stripped))
        except InstallInputError as exc:
            dropped.append(f"line {number} dropped: {exc.message}")
            continue
        key = canonicalize_name(requirement.name)
        if key in seen:
            dropped.append(
                f"line {number} dropped: a second line for '{key}' ({mask_secrets(stripped)})."
            )
            continue
        seen.add(key)
        lines.append(stripped)
    return PluginsFile(lines=tuple(lines), dropped=tuple(dropped))


def read_plugins_file(path: str | os.PathLike[str]) -> PluginsFile:
    """Read ``path``; a missing file is an empty one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return PluginsFile()
    return parse_plugins_text(text)


def write_plugins_file(path: str | os.PathLike[str], content: PluginsFile) -> None:
    """Replace ``path`` atomically (temporary file in the same folder, then ``os.replace``)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = content.text()
    if not any(line.startswith("#") for line in content.lines):
        text = HEADER + text
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def add_requirement(path: str | os.PathLike[str], line: str) -> PluginsFile:
    """Record ``line`` in the file at ``path`` (replacing the project's old line)."""
    content = read_plugins_file(path).with_requirement(line)
    write_plugins_file(path, content)
    return content


def remove_requirement(path: str | os.PathLike[str], name: str) -> PluginsFile:
    """Remove project ``name`` from the file at ``path``; a no-op when it is not listed."""
    content = read_plugins_file(path).without(name)
    write_plugins_file(path, content)
    return content


def requirement_lines(content: PluginsFile) -> list[str]:
    """The requirement strings to install at start-up, one pip argument each."""
    return [str(requirement) for requirement in content.requirements()]


def _requirement_of(line: str) -> Requirement | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        return parse_requirement_line(_INLINE_COMMENT.sub("", stripped))
    except InstallInputError:
        return None
