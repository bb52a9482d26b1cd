"""Outbound HTTP for ``APICallMixin``: one request over urllib, answered as ``APIResponse``.

Every call has a timeout; an HTTP error status is an answer (as with ``requests``), and
errors name the URL without its query string, so a token in it never reaches a log.
"""

from __future__ import annotations

import json as jsonlib
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class APIResponse:
    """The answer to ``api_call(..., simple_response=False)``: the parts of ``requests.Response``
    that InvenTree plugins use. It holds nothing of the request, so the token cannot leak."""

    url: str
    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def ok(self) -> bool:
        """Return whether the status is below 400."""
        return self.status_code < 400

    @property
    def text(self) -> str:
        """Return the body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        """Return the body parsed as JSON; raise ValueError when it is not JSON."""
        return jsonlib.loads(self.content)


def send(request: urllib.request.Request, timeout: float) -> APIResponse:
    """Send ``request``; an HTTP error status is returned, not raised."""
    where = f"{request.get_method()} {request.full_url.split('?', 1)[0]}"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return APIResponse(
                url=answer.url,
                status_code=answer.status,
                reason=answer.reason,
                headers=dict(answer.headers.items()),
                content=answer.read(),
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return APIResponse(
                url=exc.url,
                status_code=exc.code,
                reason=str(exc.reason),
                headers=dict(exc.headers.items()) if exc.headers else {},
                content=exc.read(),
            )
    except TimeoutError as exc:
        raise TimeoutError(f"{where} did not answer within {timeout:g} seconds") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TimeoutError(f"{where} did not answer within {timeout:g} seconds") from exc
        raise ConnectionError(f"{where} failed: {exc.reason}") from exc
