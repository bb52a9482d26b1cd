"""Query-string parsing shared by the list endpoints: strict booleans, search, ordering."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def bool_param(request: Request, name: str) -> bool | None:
    """Return a boolean query parameter, None when absent; a 400 when it is not a boolean."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValidationError({name: [f"'{raw}' is not a valid boolean: use true or false."]})


def search_q(request: Request, fields: Sequence[str]) -> Q | None:
    """Return a filter where every term (split on spaces and commas) matches some field."""
    raw = request.query_params.get("search", "")
    terms = [term for term in re.split(r"[\s,]+", raw) if term]
    if not terms:
        return None
    query = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": term})
        query &= any_field
    return query


def ordering_pattern(allowed: Sequence[str]) -> str:
    """Return the schema's pattern of an ``ordering`` value: fields, each maybe ``-``, by commas."""
    field = f"-?({'|'.join(allowed)})"
    return f"^{field}(,{field})*$"


def search_terms(request: Request) -> list[str]:
    """Return the ``search`` terms (split on spaces and commas), case-folded."""
    raw = request.query_params.get("search", "")
    return [term.casefold() for term in re.split(r"[\s,]+", raw) if term]


def ordering_param(request: Request, allowed: Sequence[str], default: Sequence[str]) -> list[str]:
    """Return the ``ordering`` fields; a 400 names any field that cannot be ordered by."""
    raw = request.query_params.get("ordering")
    if raw is None or raw.strip() == "":
        return list(default)
    fields = raw.split(",")
    unknown = [field or "''" for field in fields if field.removeprefix("-") not in allowed]
    if unknown:
        raise ValidationError(
            {"ordering": [f"Cannot order by {', '.join(unknown)}; use {', '.join(allowed)}."]}
        )
    return fields
