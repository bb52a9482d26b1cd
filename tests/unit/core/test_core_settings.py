"""Setting specs: parsing InvenTree's SETTINGS definitions and validating values."""

from __future__ import annotations

from typing import Any

import pytest

from plughost.core.errors import InvalidPluginError, InvalidSettingValueError
from plughost.core.settings import SettingSpec, SettingType, build_setting_specs


class MinValueValidator:
    """Duck-typed stand-in for Django's validator (the core never imports Django)."""

    def __init__(self, limit_value: Any) -> None:
        self.limit_value = limit_value

    def __call__(self, value: Any) -> None:
        if value < self.limit_value:
            raise ValueError("too small")


class MaxValueValidator:
    """Duck-typed stand-in for Django's validator."""

    def __init__(self, limit_value: Any) -> None:
        self.limit_value = limit_value

    def __call__(self, value: Any) -> None:
        if value > self.limit_value:
            raise ValueError("too big")


class MessagesError(Exception):
    """An error carrying Django-style ``messages``."""

    def __init__(self, *messages: str) -> None:
        super().__init__("ignored")
        self.messages = list(messages)


def spec_of(definition: dict[str, Any], key: str = "S") -> SettingSpec:
    return build_setting_specs({key: definition}, plugin_key="demo")[key]


def test_type_is_read_from_the_validator() -> None:
    specs = build_setting_specs(
        {
            "B": {"validator": bool},
            "I": {"validator": int},
            "F": {"validator": float},
            "S": {},
            "L": {"validator": [int, MinValueValidator(1)]},
            "M": {"model": "auth.User"},
        },
        plugin_key="demo",
    )
    assert {key: spec.type for key, spec in specs.items()} == {
        "B": SettingType.BOOLEAN,
        "I": SettingType.INTEGER,
        "F": SettingType.FLOAT,
        "S": SettingType.STRING,
        "L": SettingType.INTEGER,
        "M": SettingType.MODEL,
    }
    assert specs["M"].model == "auth.user"
    assert [spec.type.api_name for spec in specs.values()] == [
        "boolean",
        "integer",
        "string",
        "string",
        "integer",
        "related field",
    ]


def test_definition_fields_are_kept() -> None:
    spec = spec_of(
        {
            "name": "API Key",
            "description": "Key required",
            "units": "s",
            "protected": True,
            "required": True,
            "hidden": True,
        }
    )
    assert (spec.name, spec.description, spec.units) == ("API Key", "Key required", "s")
    assert spec.protected
    assert spec.required
    assert spec.hidden
    assert spec.default_value() == ""


def test_absent_name_and_description_are_empty() -> None:
    spec = spec_of({})
    assert (spec.name, spec.description, spec.protected, spec.required) == ("", "", False, False)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (True, "True"),
        (False, "False"),
        ("yes", "True"),
        ("off", "False"),
        (1, "True"),
        ("T", "True"),
    ],
)
def test_bool_values_are_stored_as_python_strings(raw: object, stored: str) -> None:
    spec = spec_of({"validator": bool, "default": False})
    assert spec.clean(raw) == stored
    assert spec.to_python(stored) is (stored == "True")


@pytest.mark.parametrize("raw", ["banana", "", 2, 1.5, [], None])
def test_bad_bool_values_are_rejected_naming_the_setting(raw: object) -> None:
    spec = spec_of({"validator": bool}, key="PO_FUNCTION_ENABLE")
    with pytest.raises(InvalidSettingValueError) as caught:
        spec.clean(raw)
    assert caught.value.setting == "PO_FUNCTION_ENABLE"


def test_int_values_round_trip_as_strings() -> None:
    spec = spec_of({"validator": int, "default": 123})
    assert spec.default_value() == "123"
    assert spec.clean(456) == "456"
    assert spec.clean("456") == "456"
    assert spec.clean(" 7 ") == "7"
    assert spec.clean(8.0) == "8"
    assert spec.to_python("456") == 456


@pytest.mark.parametrize("raw", ["abc", "1.5", 1.5, True, "", [1]])
def test_bad_int_values_are_rejected(raw: object) -> None:
    spec = spec_of({"validator": int, "default": 123}, key="NUMERICAL_SETTING")
    with pytest.raises(InvalidSettingValueError, match="integer") as caught:
        spec.clean(raw)
    assert caught.value.setting == "NUMERICAL_SETTING"


def test_int_bounds_come_from_min_and_max_validators() -> None:
    spec = spec_of({"validator": [int, MinValueValidator(2), MaxValueValidator(25)], "default": 5})
    assert (spec.min_value, spec.max_value) == (2, 25)
    assert spec.clean(2) == "2"
    assert spec.clean("25") == "25"
    with pytest.raises(InvalidSettingValueError, match="greater than or equal to 2"):
        spec.clean(1)
    with pytest.raises(InvalidSettingValueError, match="less than or equal to 25"):
        spec.clean(26)


def test_callable_limit_value_is_called() -> None:
    spec = spec_of({"validator": [int, MinValueValidator(lambda: 3)]})
    assert spec.min_value == 3
    with pytest.raises(InvalidSettingValueError):
        spec.clean(2)


def test_a_validator_named_otherwise_is_just_a_callable() -> None:
    class Other(MinValueValidator):
        pass

    spec = spec_of({"validator": [int, Other(10)]})
    assert spec.min_value is None
    with pytest.raises(InvalidSettingValueError, match="too small"):
        spec.clean(5)


def test_float_values() -> None:
    spec = spec_of({"validator": [float, MaxValueValidator(1.5)], "default": 0.5})
    assert spec.clean("1.25") == "1.25"
    assert spec.to_python("1.25") == 1.25
    for bad in ("x", "nan", "inf", 2, True):
        with pytest.raises(InvalidSettingValueError):
            spec.clean(bad)


def test_string_values() -> None:
    spec = spec_of({"default": "abc"})
    assert spec.clean("x y") == "x y"
    assert spec.clean(12) == "12"
    with pytest.raises(InvalidSettingValueError, match="at most 2000"):
        spec.clean("x" * 2001)
    with pytest.raises(InvalidSettingValueError):
        spec.clean(None)
    with pytest.raises(InvalidSettingValueError):
        spec.clean({"a": 1})


def test_choices_accept_only_their_values() -> None:
    spec = spec_of(
        {"choices": [("A", "Anaconda"), ("B", "Bat"), ("C", "Cat"), ("D", "Dog")], "default": "A"},
        key="CHOICE_SETTING",
    )
    assert spec.type is SettingType.STRING
    assert spec.choice_pairs() == [("A", "Anaconda"), ("B", "Bat"), ("C", "Cat"), ("D", "Dog")]
    assert spec.clean("B") == "B"
    with pytest.raises(InvalidSettingValueError, match="not a valid option") as caught:
        spec.clean("E")
    assert caught.value.setting == "CHOICE_SETTING"


def test_callable_choices_are_called_each_time() -> None:
    calls: list[int] = []

    def choices() -> list[tuple[str, str]]:
        calls.append(1)
        return [("x", "X"), ("y", "Y")]

    spec = spec_of({"choices": choices})
    assert spec.choice_pairs() == [("x", "X"), ("y", "Y")]
    assert spec.clean("y") == "y"
    with pytest.raises(InvalidSettingValueError):
        spec.clean("z")
    assert len(calls) == 3


def test_int_choices_compare_as_strings() -> None:
    spec = spec_of({"validator": int, "choices": [(1, "one"), (2, "two")], "default": 1})
    assert spec.clean("2") == "2"
    with pytest.raises(InvalidSettingValueError):
        spec.clean(3)


def test_callable_default_is_called() -> None:
    spec = spec_of({"validator": int, "default": lambda: 42})
    assert spec.default_value() == "42"


def test_bool_setting_without_default_defaults_to_false() -> None:
    assert spec_of({"validator": bool}).default_value() == "False"


def test_custom_validator_raising_value_error() -> None:
    def even(value: int) -> None:
        if value % 2:
            raise ValueError("must be even")

    spec = spec_of({"validator": [int, even]})
    assert spec.clean(4) == "4"
    with pytest.raises(InvalidSettingValueError, match="must be even"):
        spec.clean(3)


def test_custom_validator_messages_are_joined() -> None:
    def picky(value: str) -> None:
        raise MessagesError("first problem", "second problem")

    with pytest.raises(InvalidSettingValueError) as caught:
        spec_of({"validator": picky}).clean("x")
    assert caught.value.message == "first problem second problem"


def test_custom_validator_receives_the_typed_value() -> None:
    seen: list[object] = []
    spec = spec_of({"validator": [bool, seen.append]})
    spec.clean("yes")
    assert seen == [True]


def test_validators_do_not_run_on_defaults() -> None:
    def never(value: object) -> None:
        raise ValueError("nope")

    spec = spec_of({"validator": never, "default": "x"})
    assert spec.default_value() == "x"
    with pytest.raises(InvalidSettingValueError, match="nope"):
        spec.clean("x")


def test_model_settings_accept_any_identifier() -> None:
    spec = spec_of({"model": "auth.user"})
    assert spec.clean("12") == "12"
    assert spec.to_python("12") == "12"


def test_to_python_of_garbage_gives_the_default() -> None:
    assert spec_of({"validator": int, "default": 7}).to_python("junk") == 7
    assert spec_of({"validator": bool, "default": True}).to_python("junk") is True


def test_a_bool_default_on_a_string_setting_is_its_string() -> None:
    # InvenTree plugins sometimes omit the validator; InvenTree stores str(default).
    spec = spec_of({"default": True})
    assert spec.type is SettingType.STRING
    assert spec.default_value() == "True"


@pytest.mark.parametrize(
    ("definitions", "message"),
    [
        ([("A", {})], "SETTINGS must be a dict"),
        ({"A": "not a dict"}, "must be a dict"),
        ({"bad key": {}}, "letters, digits and _"),
        ({"": {}}, "letters, digits and _"),
        ({"A": {}, "a": {}}, "declared twice"),
        ({"A": {"nmae": "typo"}}, "unknown definition keys \\['nmae'\\]"),
        ({"A": {"model": "nodot"}}, "app_label.model_name"),
        ({"A": {"model": 5}}, "app_label.model_name"),
        ({"A": {"choices": "ABC"}}, "choices must be a list"),
        ({"A": {"choices": [("a", "b", "c")]}}, "choices must be a list"),
        ({"A": {"validator": 5}}, "setting 'A': validator 5"),
        ({"A": {"validator": int, "default": "abc"}}, "default of setting 'A' is invalid"),
        ({"A": {"validator": bool, "default": "maybe"}}, "default of setting 'A' is invalid"),
        ({"A": {"choices": [("x", "X")], "default": "y"}}, "default of setting 'A' is invalid"),
        (
            {"A": {"validator": [int, MinValueValidator(5)], "default": 1}},
            "default of setting 'A' is invalid",
        ),
    ],
)
def test_malformed_definitions_are_refused(definitions: Any, message: str) -> None:
    with pytest.raises(InvalidPluginError, match=message) as caught:
        build_setting_specs(definitions, plugin_key="demo")
    assert caught.value.key == "demo"
    assert "Plugin 'demo'" in caught.value.message
