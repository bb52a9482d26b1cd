"""A JSON renderer on orjson that writes the same bytes as DRF's for the data the API sends.

DRF's ``JSONRenderer`` runs the standard library encoder with a Python ``default`` hook; orjson
encodes dicts, lists, strings and numbers in C, several times faster. The output matches DRF's
compact, non-ASCII-escaping form: dates, times, decimals, lazy strings and everything else
orjson does not handle the way DRF does go through DRF's own encoder hook, ``U+2028`` and
``U+2029`` are escaped as DRF escapes them, and an indented answer (``; indent=N``) is left to
DRF's renderer, since orjson knows only one indent. What orjson refuses (integers beyond 64
bits, say, which a metadata object may hold) is rendered by DRF's renderer too. Floats are the
one difference left: orjson may spell an exponent differently (``1e16`` for ``1e+16``), the
same number either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Types orjson would write differently from DRF go through DRF's hook instead (``default``).
_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
_LINE_SEPARATOR = "\u2028".encode()
_PARAGRAPH_SEPARATOR = "\u2029".encode()
_drf_default = JSONEncoder().default


class OrjsonRenderer(JSONRenderer):
    """DRF's ``JSONRenderer``, encoded by orjson."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Return ``data`` as compact UTF-8 JSON (empty for None, as DRF does)."""
        if data is None:
            return b""
        context = dict(renderer_context or {})
        if self.get_indent(accepted_media_type or "", context) is not None:
            return super().render(data, accepted_media_type, context)
        try:
            body = orjson.dumps(data, default=_drf_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, context)
        if b"\xe2\x80" in body:  # the first two bytes of U+2028 and U+2029 in UTF-8
            body = body.replace(_LINE_SEPARATOR, b"\\u2028").replace(
                _PARAGRAPH_SEPARATOR, b"\\u2029"
            )
        return body
