"""Reject HTML and control characters in text input, as InvenTree's CleanMixin does.

InvenTree strips control characters silently; here they are refused, like HTML, so that
what is stored is exactly what was sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rest_framework.exceptions import ValidationError

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_DEPTH = 32


def check_text(value: str, *, field: str) -> str:
    """Return ``value``; raise a 400 naming ``field`` when it holds HTML or control characters."""
    if _TAG.search(value):
        raise ValidationError({field: ["Remove HTML tags from this value"]})
    if _CONTROL.search(value) or "\n" in value or "\r" in value:
        raise ValidationError({field: ["Remove control characters from this value"]})
    return value


def check_tree(value: object, *, field: str, depth: int = 0) -> None:
    """Check every string in a JSON value (keys too) and bound its nesting depth."""
    if depth > MAX_DEPTH:
        raise ValidationError({field: [f"Nested deeper than {MAX_DEPTH} levels"]})
    if isinstance(value, str):
        if _TAG.search(value):
            raise ValidationError({field: ["Remove HTML tags from this value"]})
        if _CONTROL.search(value):
            raise ValidationError({field: ["Remove control characters from this value"]})
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_tree(key, field=field, depth=depth + 1)
            check_tree(item, field=field, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_tree(item, field=field, depth=depth + 1)
