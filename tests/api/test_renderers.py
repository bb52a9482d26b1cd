"""The orjson renderer writes what DRF's JSONRenderer writes."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from plughost.api.renderers import OrjsonRenderer

UTC = datetime.UTC

SAME_AS_DRF: list[Any] = [
    {"a": 1, "b": [True, False, None], "c": "text"},
    {"unicode": "Grüße, 東京", "separators": "a\u2028b\u2029c"},
    {"when": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)},
    {"naive": datetime.datetime(2024, 5, 6, 7, 8, 9), "day": datetime.date(2024, 5, 6)},
    {"time": datetime.time(7, 8, 9), "span": datetime.timedelta(seconds=90)},
    {"price": decimal.Decimal("1.50"), "id": uuid.UUID(int=7)},
    {"lazy": gettext_lazy("This field is required.")},
    {1: "int key", None: "none key"},
    {"big": 2**70, "nested": {"deep": [[[{"x": -(2**80)}]]]}},
    ReturnDict({"serializer": "data"}, serializer=None),
    [],
    "plain",
]


@pytest.mark.parametrize("data", SAME_AS_DRF, ids=range(len(SAME_AS_DRF)))
def test_bytes_match_drfs_renderer(data: Any) -> None:
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_none_renders_empty() -> None:
    assert OrjsonRenderer().render(None) == b""


def test_an_indent_request_is_honoured_as_drf_does() -> None:
    data = {"a": [1, 2]}
    media_type = "application/json; indent=4"

    assert OrjsonRenderer().render(data, media_type) == JSONRenderer().render(data, media_type)


def test_the_api_answers_with_it(client: Any, db: None) -> None:
    response = client.get("/api/")

    assert response.status_code == 200
    assert response.content.startswith(b'{"server":"InvenTree",')
