"""Serializers of the endpoints that plugin capabilities add: actions, rates, navigation."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from plughost.api.cleaning import StrictJsonTypes
from plughost.services.currency import DEFAULT_BASE_CURRENCY, DEFAULT_CURRENCIES

CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}$")


class ActionSerializer(StrictJsonTypes, serializers.Serializer[Any]):
    """The body of ``POST /api/action/``."""

    # As InvenTree reads it: only a missing or null action is "No action specified"; any
    # string, blank or padded, is compared as sent (no plugin answers "" or " simple ").
    action = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Name of the action to perform",
    )
    # The wire name shadows ``Serializer.data`` in the stubs (DRF pops declared fields).
    data = serializers.JSONField(  # type: ignore[assignment]
        required=False, help_text="Passed to the plugin as is"
    )


class ActionResponseSerializer(serializers.Serializer[Any]):
    """Always 200: the plugin's answer, or an ``error`` (with the ``action`` asked for)."""

    action = serializers.CharField(required=False)
    result = serializers.JSONField(required=False)
    info = serializers.JSONField(required=False)
    error = serializers.CharField(required=False)


def currency_code(value: object) -> str:
    """Return ``value`` as an upper-case ISO 4217 code; raise ValidationError otherwise."""
    text = str(value).strip()
    if not CURRENCY_CODE.match(text):
        raise serializers.ValidationError(f"{value!r} is not a three-letter currency code")
    return text.upper()


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "pattern": r"^\s*[A-Za-z]{3}\s*$"},
            },
            {
                "type": "string",
                "description": "Comma-separated codes",
                "pattern": r"^\s*[A-Za-z]{3}\s*(,\s*[A-Za-z]{3}\s*)*$",
            },
        ]
    }
)
class CurrencyCodesField(serializers.Field[list[str], Any, list[str], Any]):
    """A list of currency codes, given as a JSON list or a comma-separated string."""

    def to_internal_value(self, data: Any) -> list[str]:
        """Return the codes, upper-case and without repeats."""
        items = data.split(",") if isinstance(data, str) else data
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError("Give a list of currency codes, e.g. EUR,GBP")
        codes: list[str] = []
        for item in items:
            code = currency_code(item)
            if code not in codes:
                codes.append(code)
        return codes

    def to_representation(self, value: list[str]) -> Any:
        """Return the list as is."""
        return value


class ExchangeRefreshSerializer(StrictJsonTypes, serializers.Serializer[Any]):
    """The body of ``POST /api/plugins/currency/exchange/``."""

    base_currency = serializers.RegexField(
        CURRENCY_CODE.pattern,
        error_messages={"invalid": "Give a three-letter currency code, e.g. EUR"},
        required=False,
        default=DEFAULT_BASE_CURRENCY,
        help_text="Currency the rates are against (default USD)",
    )
    symbols = CurrencyCodesField(
        required=False,
        default=list(DEFAULT_CURRENCIES),
        help_text="Currencies to get rates of: a list or a comma-separated string "
        "(default InvenTree's currency list)",
    )

    def validate_base_currency(self, value: str) -> str:
        """Check and normalise the base currency."""
        return currency_code(value)


class ExchangeRatesSerializer(serializers.Serializer[Any]):
    """The stored rates of one base currency (InvenTree's ``/api/currency/exchange/`` shape)."""

    base_currency = serializers.CharField()
    exchange_rates = serializers.DictField(child=serializers.FloatField())
    updated = serializers.DateTimeField(allow_null=True)
    plugin = serializers.CharField(allow_null=True, help_text="Key of the plugin that gave them")


class NavigationLinkSerializer(serializers.Serializer[Any]):
    """One navigation link of a plugin."""

    name = serializers.CharField()
    link = serializers.CharField(help_text="InvenTree's URL name, e.g. plugin:sample:hi")
    icon = serializers.CharField(allow_null=True)
    url = serializers.CharField(
        allow_null=True, help_text="The path the link resolves to here, or null"
    )


class PluginNavigationSerializer(serializers.Serializer[Any]):
    """A plugin's navigation tab (NavigationMixin)."""

    plugin = serializers.CharField()
    name = serializers.CharField()
    icon = serializers.CharField()
    links = NavigationLinkSerializer(many=True)
