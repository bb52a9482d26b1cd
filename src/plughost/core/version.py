"""Version bounds: does a plugin's MIN_VERSION/MAX_VERSION admit this host?"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from plughost.core.errors import IncompatibleVersionError, InvalidPluginError


def parse_version(text: str, *, key: str | None = None, what: str = "version") -> Version:
    """Parse a version string; raise InvalidPluginError naming the bad value."""
    try:
        return Version(str(text).strip())
    except InvalidVersion as exc:
        raise InvalidPluginError(
            f"{what} {text!r} is not a valid version (use a form such as '0.16.0')", key=key
        ) from exc


def check_version_bounds(
    *, key: str, host_version: str, min_version: str | None, max_version: str | None
) -> None:
    """Raise IncompatibleVersionError unless ``min_version <= host_version <= max_version``.

    A missing bound does not constrain. Unlike InvenTree 198, bounds are compared as
    PEP 440 versions, so ``10.1.0`` is not read as ``0.1.0`` and ``0.15`` is accepted.
    """
    host = parse_version(host_version, what="host version")
    if min_version and host < parse_version(min_version, key=key, what="MIN_VERSION"):
        raise IncompatibleVersionError(
            f"Plugin '{key}' requires host version >= {min_version}; this host is {host_version}",
            key=key,
        )
    if max_version and host > parse_version(max_version, key=key, what="MAX_VERSION"):
        raise IncompatibleVersionError(
            f"Plugin '{key}' requires host version <= {max_version}; this host is {host_version}",
            key=key,
        )
