"""Bodies of nothing but JSON booleans, validated without building a DRF serializer.

An activation or a reload sends ``{"active": true}`` or ``{"collect_plugins": true}``.
DRF deep-copies every declared field each time it builds a serializer, which cost those
writes more than reading their one flag. Where the body holds only JSON booleans for the
serializer's plain boolean fields, :func:`boolean_body` gives what the serializer's
``validated_data`` would hold; anything else (a string "true", an unknown key, a form body,
a serializer with validation hooks) goes to the serializer, with its usual answers.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty


def boolean_body(
    serializer_class: type[serializers.Serializer[Any]], data: object
) -> dict[str, bool] | None:
    """Return the serializer's ``validated_data`` for ``data``; None: let it validate."""
    if type(data) is not dict or serializer_class.validate is not serializers.Serializer.validate:
        return None
    fields = serializer_class._declared_fields
    for name, value in data.items():
        field = fields.get(name)
        if (
            type(value) is not bool
            or type(field) is not serializers.BooleanField
            or field.read_only
            or field.validators
            or hasattr(serializer_class, f"validate_{name}")
        ):
            return None
    validated: dict[str, bool] = {}
    for name, field in fields.items():  # in declared order, as DRF gives them
        if name in data:
            validated[name] = data[name]
        elif field.default is not empty:
            if type(field) is not serializers.BooleanField or callable(field.default):
                return None
            validated[name] = bool(field.default)
        elif field.required and not field.read_only:
            return None  # DRF answers "This field is required."
    return validated
