"""Mask credentials before any text leaves the installer.

Package index URLs often carry credentials (``https://user:token@host/simple``)
and pip echoes them in its output, in error messages and in the commands we
log. Everything the installer returns or raises goes through
:func:`mask_secrets`, so API responses, logs and the audit trail never hold a
secret in clear text. The masking is deliberately generous: hiding a harmless
user name is better than printing a token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "****"

# scheme://userinfo@ -- userinfo is "user:password" or a bare token.
_USERINFO = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)"
    r"(?P<user>[^/\s:@?#]+)"
    r"(?::(?P<password>[^/\s@?#]*))?"
    r"@"
)

# ?token=... / &api_key=... and similar query parameters.
_QUERY_SECRET = re.compile(
    r"(?P<prefix>[?&;](?:[a-z0-9_.-]*"
    r"(?:token|password|passwd|secret|api[_-]?key|apikey|auth|credential|signature|sig)"
    r"[a-z0-9_.-]*)=)"
    r"(?P<value>[^&;\s#'\"]+)",
    re.IGNORECASE,
)


def _mask_userinfo(match: re.Match[str]) -> str:
    scheme = match.group("scheme")
    if match.group("password") is None:
        # A lone user part is usually a token (https://TOKEN@host): hide it whole.
        return f"{scheme}{MASK}@"
    return f"{scheme}{match.group('user')}:{MASK}@"


def mask_secrets(text: str) -> str:
    """Return ``text`` with URL credentials and secret query values replaced by ``****``."""
    masked = _USERINFO.sub(_mask_userinfo, text)
    return _QUERY_SECRET.sub(lambda m: f"{m.group('prefix')}{MASK}", masked)


def mask_lines(lines: Iterable[str]) -> list[str]:
    """Mask every line; a convenience for pip output and command lines."""
    return [mask_secrets(line) for line in lines]
