"""Turn the install request's three text fields into a validated install target.

InvenTree 198 passed ``packagename``, ``version`` and ``url`` to pip nearly as
typed, so ``-r/etc/passwd`` or ``--index-url=...`` became pip options and the
same strings were replayed from ``plugins.txt`` at every start (behaviour spec
section 9, items 2, 3 and 15). Here each field must parse as what it claims to
be, using ``packaging``: a PEP 508 requirement, a PEP 440 version or
specifier, an http(s) package index or a VCS URL. Everything else raises
:class:`InstallInputError` naming the field, before pip is ever run. The
result can only produce argument lists whose positional values start with a
project name or a URL scheme, never with ``-``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from plughost.core.errors import InstallInputError
from plughost.installer.secrets import mask_secrets

INDEX_SCHEMES = frozenset({"http", "https"})
VCS_SCHEMES = frozenset({"git+https", "git+http", "hg+https", "svn+https", "bzr+https"})

PACKAGENAME_HELP = (
    "Give a PEP 508 requirement such as 'my-plugin', 'my-plugin>=1.2' or "
    "'my-plugin @ git+https://host/repo.git'; options, local paths and file: URLs "
    "are not accepted."
)
VERSION_HELP = "Give a PEP 440 version such as '1.2.3' or a specifier such as '>=1.0,<2'."
URL_HELP = (
    "Give an http(s) package index URL (for example 'https://pypi.example.com/simple') "
    "or a VCS URL starting with " + ", ".join(sorted(f"'{s}://'" for s in VCS_SCHEMES)) + "."
)


@dataclass(frozen=True)
class InstallTarget:
    """What to install, already validated; the only way install arguments are built.

    ``requirement`` is None only for a bare VCS URL (pip learns the name by
    building it). ``vcs_url`` is set for VCS installs, ``index_url`` for
    installs from a custom package index.
    """

    requirement: Requirement | None
    index_url: str | None = None
    vcs_url: str | None = None

    @property
    def name(self) -> str | None:
        """The canonical project name, when the request named one."""
        return canonicalize_name(self.requirement.name) if self.requirement else None

    def requirement_spec(self) -> str:
        """The positional argument for pip: a requirement string or a bare VCS URL."""
        if self.requirement is not None:
            return str(self.requirement)
        if self.vcs_url is None:  # pragma: no cover - parse_install_request never builds this
            raise InstallInputError("Nothing to install. " + PACKAGENAME_HELP, field="packagename")
        return self.vcs_url

    def pip_args(self) -> list[str]:
        """Arguments naming what to install, for ``pip install`` and ``uv pip install``."""
        args: list[str] = []
        if self.index_url is not None:
            args += ["--index-url", self.index_url]
        args.append(self.requirement_spec())
        return args

    def requirement_line(self) -> str | None:
        """A plain requirement line for ``plugins.txt``; None while the name is unknown.

        It never holds an option: the index URL is not part of it (the
        caller stores it separately), and a bare VCS URL has no line until
        :meth:`with_name` gives it the installed project's name.
        """
        return str(self.requirement) if self.requirement is not None else None

    def with_name(self, name: str) -> InstallTarget:
        """The same target with a known project name (after a bare VCS install)."""
        if self.requirement is not None:
            return self
        requirement = _parse_requirement(name, field="packagename")
        if requirement.url or requirement.specifier or requirement.extras or requirement.marker:
            raise InstallInputError(
                f"'{mask_secrets(name)}' is not a bare project name.", field="packagename"
            )
        if self.vcs_url is not None:
            requirement = Requirement(f"{requirement.name} @ {self.vcs_url}")
        return replace(self, requirement=requirement)

    def describe(self) -> str:
        """A one-line, credential-free description for messages and logs."""
        text = self.requirement_spec()
        if self.index_url is not None:
            text += f" from {self.index_url}"
        return mask_secrets(text)


def parse_install_request(
    packagename: str | None, version: str | None, url: str | None
) -> InstallTarget:
    """Validate the API's install fields and return what to install.

    Empty strings count as absent (the API allows blank fields). Raises
    :class:`InstallInputError` with ``field`` set to the offending field.
    """
    packagename = _blank_to_none(packagename)
    version = _blank_to_none(version)
    url = _blank_to_none(url)

    requirement = (
        _parse_requirement(packagename, field="packagename") if packagename is not None else None
    )
    index_url: str | None = None
    vcs_url: str | None = None
    if url is not None:
        kind = _classify_url(url, field="url")
        if kind == "vcs":
            vcs_url = url
        else:
            index_url = url

    if version is not None:
        if requirement is None:
            raise InstallInputError(
                "A version needs a packagename to apply to. Give packagename too.",
                field="version",
            )
        if vcs_url is not None or requirement.url:
            raise InstallInputError(
                "A version cannot be combined with a VCS or direct URL; "
                "put the revision in the URL (for example '...repo.git@v1.2').",
                field="version",
            )
        requirement = _with_version(requirement, version)

    if requirement is not None and requirement.url and url is not None:
        raise InstallInputError(
            "packagename already carries a URL; give the URL in one field only.", field="url"
        )
    if requirement is not None and vcs_url is not None:
        if requirement.specifier:
            raise InstallInputError(
                "A version specifier in packagename cannot be combined with a VCS URL; "
                "put the revision in the URL (for example '...repo.git@v1.2').",
                field="packagename",
            )
        requirement = _requirement_from_parts(requirement, url=vcs_url)
    if (
        requirement is not None
        and requirement.url
        and _classify_url(requirement.url, field="packagename") == "vcs"
    ):
        vcs_url = requirement.url

    if requirement is None and vcs_url is None:
        raise InstallInputError(
            "Either packagename or a VCS url must be given. " + PACKAGENAME_HELP,
            field="packagename",
        )
    return InstallTarget(requirement=requirement, index_url=index_url, vcs_url=vcs_url)


def parse_requirement_line(line: str) -> Requirement:
    """Parse one ``plugins.txt`` line with the same rules as ``packagename``."""
    return _parse_requirement(line, field="packagename")


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip(" ")
    return stripped or None


def _check_characters(value: str, *, field: str, help_text: str) -> None:
    """Reject option syntax and invisible or line-breaking characters."""
    if value.startswith("-"):
        raise InstallInputError(
            f"'{mask_secrets(value)}' looks like a command-line option. {help_text}",
            field=field,
        )
    for char in value:
        if char == " ":
            continue
        if char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            raise InstallInputError(
                f"{field} contains a space, control or whitespace character "
                f"(U+{ord(char):04X}). {help_text}",
                field=field,
            )


def _parse_requirement(value: str, *, field: str) -> Requirement:
    _check_characters(value, field=field, help_text=PACKAGENAME_HELP)
    try:
        requirement = Requirement(value)
    except InvalidRequirement:
        raise InstallInputError(
            f"'{mask_secrets(value)}' is not a valid requirement. {PACKAGENAME_HELP}",
            field=field,
        ) from None
    if requirement.url:
        _classify_url(requirement.url, field=field)
    return requirement


def _classify_url(url: str, *, field: str) -> str:
    """Return ``"vcs"`` or ``"http"`` (an index, or an archive in a requirement), or raise."""
    _check_characters(url, field=field, help_text=URL_HELP)
    if " " in url:
        raise InstallInputError(f"A URL cannot contain spaces (U+0020). {URL_HELP}", field=field)
    try:
        parts = urlsplit(url)
        has_host = bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        raise InstallInputError(
            f"'{mask_secrets(url)}' is not a valid URL. {URL_HELP}", field=field
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in VCS_SCHEMES | INDEX_SCHEMES:
        what = f"URL scheme '{scheme}:'" if scheme else f"'{mask_secrets(url)}'"
        raise InstallInputError(
            f"{what} is not accepted (local paths and file: URLs never are). {URL_HELP}",
            field=field,
        )
    if not has_host:
        raise InstallInputError(
            f"'{mask_secrets(url)}' is not a URL with a host. {URL_HELP}", field=field
        )
    if scheme in VCS_SCHEMES:
        return "vcs"
    return "http"


def _with_version(requirement: Requirement, version: str) -> Requirement:
    """Intersect the requirement's specifier with ``version`` (an exact version means ``==``)."""
    _check_characters(version, field="version", help_text=VERSION_HELP)
    specifier = _parse_version(version)
    return _requirement_from_parts(requirement, specifier=requirement.specifier & specifier)


def _parse_version(version: str) -> SpecifierSet:
    try:
        return SpecifierSet(f"=={Version(version)}")
    except InvalidVersion:
        pass
    try:
        specifier = SpecifierSet(version)
    except InvalidSpecifier:
        specifier = SpecifierSet()
    if not str(specifier):
        raise InstallInputError(
            f"'{mask_secrets(version)}' is not a valid version or version specifier. "
            f"{VERSION_HELP}",
            field="version",
        )
    return specifier


def _requirement_from_parts(
    requirement: Requirement,
    *,
    specifier: SpecifierSet | None = None,
    url: str | None = None,
) -> Requirement:
    """Rebuild a requirement through its string form so packaging validates it again."""
    text = requirement.name
    if requirement.extras:
        text += "[" + ",".join(sorted(requirement.extras)) + "]"
    if url is not None:
        text += f" @ {url}"
        if requirement.marker:
            text += " "
    else:
        text += str(specifier if specifier is not None else requirement.specifier)
        if requirement.url:
            text += f" @ {requirement.url}"
            if requirement.marker:
                text += " "
    if requirement.marker:
        text += f"; {requirement.marker}"
    try:
        return Requirement(text)
    except InvalidRequirement:
        raise InstallInputError(
            f"'{mask_secrets(text)}' is not a valid requirement. {PACKAGENAME_HELP}",
            field="packagename",
        ) from None
