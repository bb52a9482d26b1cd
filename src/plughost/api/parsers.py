"""The parsers of the API: DRF's, refusing what would fail later or be misread.

DRF's parser lets two things through that no endpoint can store or use: nesting so deep
that Python's parser overflows its stack (a ``RecursionError``), and ``\\ud800``-style
escapes of lone UTF-16 surrogates, which decode to strings that cannot be encoded as
UTF-8 (the database refuses them). Both are a 400 here, like any malformed JSON.

DRF's form parsers read a body that is not a form at all (``645``, or a multipart body
whose parts have no names) as an empty form, so a request that sent garbage would be
answered as if it sent nothing. Such bodies are a 400 here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from django.utils.http import parse_header_parameters
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, FormParser, JSONParser, MultiPartParser


class StrictJSONParser(JSONParser):
    """DRF's JSON parser; a 400 for stack-deep nesting and for unencodable strings."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        """Return the parsed body; raise ParseError (400) when it cannot be used."""
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        _check_strings(data)
        return data


def _check_strings(data: Any) -> None:
    """Raise ParseError when a string (value or key) in ``data`` is not valid Unicode text."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError("JSON parse error - a string holds a lone surrogate") from None
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class StrictFormParser(FormParser):
    """DRF's form parser; a 400 for a body that is not ``name=value`` pairs."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        """Return the form; raise ParseError when a pair has no ``=``."""
        raw = stream.read() if stream is not None else b""
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        pairs = [pair for pair in text.replace(";", "&").split("&") if pair]
        if any("=" not in pair for pair in pairs):
            raise ParseError("Form parse error - the body is not name=value pairs")
        return super().parse(
            io.BytesIO(raw if isinstance(raw, bytes) else raw.encode()), media_type, parser_context
        )


class StrictMultiPartParser(MultiPartParser):
    """DRF's multipart parser; a 400 for a non-empty body with no named part.

    A body of the closing delimiter alone (``--boundary--``) is a form with no fields: it
    reads as an empty form, as an empty body does.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> DataAndFiles[Any, Any]:
        """Return the fields and files; raise ParseError when a body holds neither."""
        raw = stream.read() if stream is not None else b""
        parsed = super().parse(io.BytesIO(raw), media_type, parser_context)
        if raw and not parsed.data and not parsed.files and not _closing_only(raw, media_type):
            raise ParseError("Multipart parse error - the body has no named form field")
        return parsed


def _closing_only(raw: bytes, media_type: str | None) -> bool:
    """Whether ``raw`` holds no part: its one delimiter is the closing one (a preamble,
    which the format says to ignore, may come before it)."""
    boundary = parse_header_parameters(media_type or "")[1].get("boundary", "")
    if not boundary:
        return False
    delimiter = b"--" + boundary.encode("latin-1", errors="replace")
    return raw.count(delimiter) == 1 and raw.rstrip().endswith(delimiter + b"--")
