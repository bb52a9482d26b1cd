"""Reject HTML and control characters in text input, as InvenTree's CleanMixin does.

InvenTree strips control characters silently; here they are refused, like HTML, so that
what is stored is exactly what was sent. ``StrictJsonTypes`` refuses JSON values of the
wrong type, which DRF would coerce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer[Any]
else:
    _SerializerBase = object

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


def _json_type_error(field: serializers.Field[Any, Any, Any, Any], value: object) -> str | None:
    """Return why ``value`` is the wrong JSON type for ``field``, or None when it fits."""
    if isinstance(field, serializers.CharField) and not isinstance(value, str):
        return "Not a valid string."
    if isinstance(field, serializers.IntegerField) and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        return "A valid integer is required."
    return None


class StrictJsonTypes(_SerializerBase):
    """Refuse a JSON number where a string belongs, instead of coercing it.

    DRF turns ``12`` into ``"12"`` (and ``"12"`` into 12); in a JSON body a string field here
    takes only a string and a whole-number field only a number. Booleans keep DRF's (and
    InvenTree's) words: ``"false"`` and ``0`` are false. Form bodies carry only strings,
    which DRF's fields parse as usual.
    """

    def to_internal_value(self, data: Any) -> Any:
        """Check the types of a JSON object's values, then validate as DRF does."""
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors = {
                name: [problem]
                for name, field in self.fields.items()
                if not field.read_only
                and data.get(name) is not None
                and (problem := _json_type_error(field, data[name])) is not None
            }
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)
