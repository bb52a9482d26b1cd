"""Boolean bodies read without a serializer give exactly what the serializer would."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict
from rest_framework import serializers

from plughost.api.boolean_bodies import boolean_body
from plughost.api.serializers import PluginActivateSerializer, PluginReloadSerializer
from tests.conftest import ApiClientFactory

SERIALIZERS = (PluginActivateSerializer, PluginReloadSerializer)
PLAIN = (
    {},
    {"active": True},
    {"active": False},
    {"active": False, "restart_required": True},
    {"collect_plugins": True},
    {"full_reload": True, "force_reload": False, "collect_plugins": False},
)
LEFT_TO_THE_SERIALIZER = (
    {"active": "true"},
    {"active": 1},
    {"active": None},
    {"collect_plugins": "yes"},
    {"unknown": True},
    ["active"],
    "active",
    None,
    QueryDict("active=true"),
)


@pytest.mark.parametrize("serializer_class", SERIALIZERS)
@pytest.mark.parametrize("data", PLAIN, ids=repr)
def test_what_it_reads_is_the_serializers_validated_data(
    serializer_class: type[serializers.Serializer[Any]], data: dict[str, Any]
) -> None:
    serializer = serializer_class(data=data)
    read = boolean_body(serializer_class, data)
    if not data.keys() <= serializer.fields.keys():  # the other serializer's field
        assert read is None
        return
    assert serializer.is_valid()
    assert read is not None
    assert list(read.items()) == list(serializer.validated_data.items())  # order too


@pytest.mark.parametrize("serializer_class", SERIALIZERS)
@pytest.mark.parametrize("data", LEFT_TO_THE_SERIALIZER, ids=repr)
def test_anything_but_json_booleans_of_its_fields_is_left_to_the_serializer(
    serializer_class: type[serializers.Serializer[Any]], data: object
) -> None:
    assert boolean_body(serializer_class, data) is None


def test_a_serializer_with_validation_hooks_is_left_to_itself() -> None:
    class Hooked(serializers.Serializer[Any]):
        flag = serializers.BooleanField(default=False)

        def validate_flag(self, value: bool) -> bool:
            return value

    class Required(serializers.Serializer[Any]):
        flag = serializers.BooleanField()

    assert boolean_body(Hooked, {"flag": True}) is None
    assert boolean_body(Required, {}) is None  # its 400 names the field
    assert boolean_body(Required, {"flag": True}) == {"flag": True}


@pytest.mark.usefixtures("registry")
def test_the_actions_answer_strings_and_bad_values_as_before(
    api_client: ApiClientFactory,
) -> None:
    client = api_client("superuser")

    by_word = client.patch("/api/plugins/sample/activate/", {"active": "false"}, format="json")
    bad = client.patch("/api/plugins/sample/activate/", {"active": "maybe"}, format="json")
    reload = client.post("/api/plugins/reload/", {"full_reload": True}, format="json")

    assert (by_word.status_code, by_word.json()) == (200, {"active": False})
    assert bad.status_code == 400
    assert list(bad.json()) == ["active"]
    assert reload.status_code == 201
    assert reload.json() == {"full_reload": True, "force_reload": False, "collect_plugins": False}
