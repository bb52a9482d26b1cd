"""Typed plugin settings: parse InvenTree's ``SETTINGS`` dicts into specs, validate values.

A value is stored as a string (InvenTree's wire format: ``"True"``, ``"456"``), but unlike
InvenTree 198 a value is validated strictly before it is stored: a bad integer or boolean
is rejected, never silently replaced by the default.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plughost.core.errors import InvalidPluginError, InvalidSettingValueError

MAX_VALUE_LENGTH = 2000
_TRUE_WORDS = frozenset({"1", "y", "yes", "t", "true", "on", "ok"})
_FALSE_WORDS = frozenset({"0", "n", "no", "f", "false", "off"})
_KNOWN_DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "units",
        "default",
        "validator",
        "choices",
        "model",
        "model_filters",
        "protected",
        "required",
        "hidden",
        "before_save",
        "after_save",
    }
)

Validator = Callable[[Any], object]
ChoicesSource = Sequence[tuple[object, object]] | Callable[..., Sequence[tuple[object, object]]]


class SettingType(enum.Enum):
    """The kinds of value a setting holds; ``api_name`` is InvenTree's ``type`` field."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    FLOAT = "float"
    STRING = "string"
    MODEL = "related field"

    @property
    def api_name(self) -> str:
        """Return the name InvenTree 198 reports (it has no float type: floats show as string)."""
        return "string" if self is SettingType.FLOAT else self.value


@dataclass(frozen=True)
class SettingSpec:
    """One declared setting of a plugin, validated at load."""

    key: str
    name: str = ""
    description: str = ""
    type: SettingType = SettingType.STRING
    default: object = ""
    validators: tuple[Validator, ...] = ()
    choices: ChoicesSource | None = None
    model: str | None = None
    protected: bool = False
    required: bool = False
    hidden: bool = False
    units: str = ""
    min_value: float | None = None
    max_value: float | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def default_value(self) -> str:
        """Return the default as a stored string (calling a callable default)."""
        raw = self.default() if callable(self.default) else self.default
        if raw is None or raw == "":
            return "False" if self.type is SettingType.BOOLEAN else ""
        try:
            return self.clean(raw, check_validators=False)
        except InvalidSettingValueError:
            return str(raw)

    def choice_pairs(self) -> list[tuple[str, str]]:
        """Return the choices as ``(value, display)`` strings; a callable is called each time."""
        if self.choices is None:
            return []
        source = self.choices() if callable(self.choices) else self.choices
        return [(str(value), str(display)) for value, display in source]

    def clean(self, raw: object, *, check_validators: bool = True) -> str:
        """Validate ``raw`` and return the string to store; raise InvalidSettingValueError."""
        if raw is None:
            raise self._invalid("This field may not be null.")
        if self.type is SettingType.BOOLEAN:
            typed: object = self._clean_bool(raw)
        elif self.type is SettingType.INTEGER:
            typed = self._clean_int(raw)
        elif self.type is SettingType.FLOAT:
            typed = self._clean_float(raw)
        else:
            typed = self._clean_text(raw)
        stored = str(typed)
        if len(stored) > MAX_VALUE_LENGTH:
            raise self._invalid(
                f"Ensure this value has at most {MAX_VALUE_LENGTH} characters "
                f"(it has {len(stored)})."
            )
        if self.choices is not None:
            allowed = [value for value, _ in self.choice_pairs()]
            if stored not in allowed:
                raise self._invalid(
                    f"Chosen value is not a valid option (choose one of: {', '.join(allowed)})"
                )
        if check_validators:
            self._run_validators(typed)
        return stored

    def to_python(self, stored: str) -> object:
        """Return the typed value of a stored string (the default where it does not parse)."""
        try:
            if self.type is SettingType.BOOLEAN:
                return self._clean_bool(stored)
            if self.type is SettingType.INTEGER:
                return self._clean_int(stored)
            if self.type is SettingType.FLOAT:
                return self._clean_float(stored)
        except InvalidSettingValueError:
            return self.to_python(self.default_value()) if stored != self.default_value() else None
        return stored

    def _clean_bool(self, raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
        raise self._invalid(f"{raw!r} is not a boolean (use true or false)")

    def _clean_int(self, raw: object) -> int:
        if isinstance(raw, bool):
            raise self._invalid("Value must be an integer value")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str):
            try:
                value = int(raw.strip())
            except ValueError:
                raise self._invalid("Value must be an integer value") from None
        else:
            raise self._invalid("Value must be an integer value")
        self._check_bounds(value)
        return value

    def _clean_float(self, raw: object) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise self._invalid("Value must be a number")
        try:
            value = float(raw)
        except ValueError:
            raise self._invalid("Value must be a number") from None
        if not math.isfinite(value):
            raise self._invalid("Value must be a finite number")
        self._check_bounds(value)
        return value

    def _clean_text(self, raw: object) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self._invalid("Value must be a string")
        return str(raw)

    def _check_bounds(self, value: float) -> None:
        if self.min_value is not None and value < self.min_value:
            raise self._invalid(
                f"Ensure this value is greater than or equal to {_number(self.min_value)}."
            )
        if self.max_value is not None and value > self.max_value:
            raise self._invalid(
                f"Ensure this value is less than or equal to {_number(self.max_value)}."
            )

    def _run_validators(self, typed: object) -> None:
        for validator in self.validators:
            try:
                validator(typed)
            except Exception as exc:  # a plugin validator may raise anything
                raise self._invalid(_validator_message(exc)) from exc

    def _invalid(self, message: str) -> InvalidSettingValueError:
        return InvalidSettingValueError(message, setting=self.key)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _validator_message(exc: Exception) -> str:
    """Return the text of a validator's error, reading Django-style ``messages`` when present."""
    messages = getattr(exc, "messages", None)
    if isinstance(messages, list) and messages:
        return " ".join(str(message) for message in messages)
    text = str(exc)
    return text or f"Invalid value ({type(exc).__name__})"


def build_setting_specs(
    definitions: Mapping[str, Mapping[str, Any]], *, plugin_key: str
) -> dict[str, SettingSpec]:
    """Turn a plugin's ``SETTINGS`` dict into specs; raise InvalidPluginError when malformed."""
    if not isinstance(definitions, Mapping):
        raise InvalidPluginError(
            f"Plugin '{plugin_key}': SETTINGS must be a dict of setting key to definition",
            key=plugin_key,
        )
    specs: dict[str, SettingSpec] = {}
    seen: set[str] = set()
    for key, definition in definitions.items():
        if not isinstance(key, str) or not key.replace("_", "").isalnum():
            raise InvalidPluginError(
                f"Plugin '{plugin_key}': setting key {key!r} must be letters, digits and _",
                key=plugin_key,
            )
        if key.upper() in seen:
            raise InvalidPluginError(
                f"Plugin '{plugin_key}': setting key {key!r} is declared twice (keys ignore case)",
                key=plugin_key,
            )
        seen.add(key.upper())
        specs[key] = _build_spec(key, definition, plugin_key=plugin_key)
    return specs


def _build_spec(key: str, definition: object, *, plugin_key: str) -> SettingSpec:
    if not isinstance(definition, Mapping):
        raise InvalidPluginError(
            f"Plugin '{plugin_key}': the definition of setting {key!r} must be a dict",
            key=plugin_key,
        )
    unknown = set(definition) - _KNOWN_DEFINITION_KEYS
    if unknown:
        raise InvalidPluginError(
            f"Plugin '{plugin_key}': setting {key!r} has unknown definition keys "
            f"{sorted(map(str, unknown))}",
            key=plugin_key,
        )
    setting_type, validators, bounds = _read_validators(
        definition.get("validator"), key=key, plugin_key=plugin_key
    )
    model = definition.get("model")
    if model is not None:
        if not isinstance(model, str) or model.count(".") != 1:
            raise InvalidPluginError(
                f"Plugin '{plugin_key}': setting {key!r} model must be 'app_label.model_name'",
                key=plugin_key,
            )
        setting_type = SettingType.MODEL
    choices = definition.get("choices")
    if choices is not None and not callable(choices):
        choices = _read_choices(choices, key=key, plugin_key=plugin_key)
    spec = SettingSpec(
        key=key,
        name=str(definition.get("name", "")),
        description=str(definition.get("description", "")),
        type=setting_type,
        default=definition.get("default", ""),
        validators=tuple(validators),
        choices=choices,
        model=model.lower() if isinstance(model, str) else None,
        protected=bool(definition.get("protected", False)),
        required=bool(definition.get("required", False)),
        hidden=bool(definition.get("hidden", False)),
        units=str(definition.get("units", "")),
        min_value=bounds[0],
        max_value=bounds[1],
        extra={k: v for k, v in definition.items() if k in ("before_save", "after_save")},
    )
    if not callable(spec.default):
        _check_default(spec, plugin_key=plugin_key)
    return spec


def _check_default(spec: SettingSpec, *, plugin_key: str) -> None:
    if spec.default in (None, "") or (spec.choices is not None and callable(spec.choices)):
        return
    if spec.type is SettingType.STRING and isinstance(spec.default, bool) and spec.choices is None:
        # InvenTree plugins may omit ``validator: bool``; InvenTree then stores str(default).
        return
    try:
        spec.clean(spec.default, check_validators=False)
    except InvalidSettingValueError as exc:
        raise InvalidPluginError(
            f"Plugin '{plugin_key}': default of setting {spec.key!r} is invalid: {exc.message}",
            key=plugin_key,
        ) from exc


def _read_choices(choices: object, *, key: str, plugin_key: str) -> list[tuple[object, object]]:
    pairs: list[tuple[object, object]] = []
    if isinstance(choices, Sequence) and not isinstance(choices, str):
        for item in choices:
            if isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                break
        else:
            return pairs
    raise InvalidPluginError(
        f"Plugin '{plugin_key}': setting {key!r} choices must be a list of (value, label) pairs",
        key=plugin_key,
    )


def _read_validators(
    raw: object, *, key: str, plugin_key: str
) -> tuple[SettingType, list[Validator], tuple[float | None, float | None]]:
    """Split InvenTree's ``validator`` entry into a type, callables and numeric bounds."""
    items: list[object]
    if raw is None:
        items = []
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        items = [raw]
    setting_type = SettingType.STRING
    validators: list[Validator] = []
    low: float | None = None
    high: float | None = None
    for item in items:
        if item is bool:
            setting_type = SettingType.BOOLEAN
        elif item is int:
            setting_type = SettingType.INTEGER
        elif item is float:
            setting_type = SettingType.FLOAT
        elif item is str:
            setting_type = SettingType.STRING
        elif _is_bound_validator(item, "MinValueValidator"):
            low = _limit_value(item)
        elif _is_bound_validator(item, "MaxValueValidator"):
            high = _limit_value(item)
        elif callable(item):
            validators.append(item)
        else:
            raise InvalidPluginError(
                f"Plugin '{plugin_key}': setting {key!r}: validator {item!r} is neither "
                "a type (bool, int, float, str) nor a callable",
                key=plugin_key,
            )
    return setting_type, validators, (low, high)


def _is_bound_validator(item: object, class_name: str) -> bool:
    return type(item).__name__ == class_name and hasattr(item, "limit_value")


def _limit_value(item: object) -> float:
    """Return a Django Min/MaxValueValidator's limit (Django allows a callable limit)."""
    limit = getattr(item, "limit_value")  # noqa: B009 - duck-typed Django validator
    return float(limit() if callable(limit) else limit)
