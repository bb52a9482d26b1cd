"""Exchange rates from ``CurrencyExchangeMixin`` plugins, stored for everyone to read.

The plugin asked is the one the ``plughost`` setting ``CURRENCY_UPDATE_PLUGIN`` names, else
the first loaded plugin with the ``currencyexchange`` mixin (InvenTree's rule). A refresh
replaces every stored rate of its base currency in one transaction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from plughost.core.errors import PluginCallError, PluginNotFoundError
from plughost.core.mixins import CurrencyExchangeMixin
from plughost.core.registry import Registry
from plughost.db.models import ExchangeRate
from plughost.plugins.builtin.host import CURRENCY_UPDATE_PLUGIN
from plughost.services.failures import record_runtime_failure
from plughost.services.switches import host_setting

DEFAULT_BASE_CURRENCY = "USD"
#: InvenTree's default ``CURRENCY_CODES``.
DEFAULT_CURRENCIES = ("AUD", "CAD", "CNY", "EUR", "GBP", "JPY", "NZD", "USD")


@dataclass(frozen=True)
class Rates:
    """The stored rates of one base currency."""

    base_currency: str
    exchange_rates: dict[str, float]
    updated: datetime | None
    plugin: str | None


def find_exchange_plugin(registry: Registry) -> CurrencyExchangeMixin:
    """Return the plugin to ask for rates; raise PluginNotFoundError when there is none."""
    wanted = str(host_setting(registry, CURRENCY_UPDATE_PLUGIN) or "")
    loaded = [
        p for p in registry.with_mixin("currencyexchange") if isinstance(p, CurrencyExchangeMixin)
    ]
    if wanted:
        for plugin in loaded:
            if plugin.slug == wanted:
                return plugin
        raise PluginNotFoundError(
            f"The currency exchange plugin '{wanted}' (setting {CURRENCY_UPDATE_PLUGIN}) is "
            "not active, or has no currency exchange mixin; activate it or change the setting",
            key=wanted,
        )
    if not loaded:
        raise PluginNotFoundError(
            "No active plugin provides exchange rates; activate one with the currency "
            "exchange mixin (for example the sample 'samplecurrencyexchange')"
        )
    return loaded[0]


def refresh_rates(registry: Registry, base_currency: str, currencies: Sequence[str]) -> Rates:
    """Ask the exchange plugin for rates of ``currencies`` against ``base_currency``; store them.

    Raises PluginNotFoundError without an exchange plugin, and PluginCallError when the plugin
    raises or answers with something other than positive numbers by currency code.
    """
    plugin = find_exchange_plugin(registry)
    try:
        answer = plugin.update_exchange_rates(base_currency, list(currencies))
    except Exception as exc:
        message = (
            f"Plugin '{plugin.slug}' failed in update_exchange_rates(): {type(exc).__name__}: {exc}"
        )
        record_runtime_failure(plugin.slug, "update_exchange_rates", message)
        raise PluginCallError(message, key=plugin.slug, method="update_exchange_rates") from exc
    rates = _checked_rates(plugin.slug, answer)
    now = timezone.now()
    with transaction.atomic():
        ExchangeRate.objects.filter(base=base_currency).delete()
        ExchangeRate.objects.bulk_create(
            ExchangeRate(
                base=base_currency, currency=code, rate=rate, updated=now, plugin=plugin.slug
            )
            for code, rate in rates.items()
        )
    return get_rates(base_currency)


def _checked_rates(key: str, answer: object) -> dict[str, float]:
    def refuse(why: str) -> PluginCallError:
        return PluginCallError(
            f"Plugin '{key}': update_exchange_rates() {why}",
            key=key,
            method="update_exchange_rates",
        )

    if not isinstance(answer, Mapping):
        raise refuse(f"must return a dict of rates by currency code, not {type(answer).__name__}")
    rates: dict[str, float] = {}
    for code, value in answer.items():
        text = str(code).strip().upper()
        if len(text) != 3 or not text.isalpha():
            raise refuse(f"returned {code!r}, which is not a currency code")
        try:
            rate = float(value)
        except (TypeError, ValueError):
            raise refuse(f"returned {value!r} for {text}, which is not a number") from None
        if not math.isfinite(rate) or rate <= 0:
            raise refuse(f"returned {value!r} for {text}; a rate must be a positive number")
        rates[text] = rate
    return rates


def default_base_currency() -> str:
    """Return the base currency of the latest refresh, else USD."""
    latest = ExchangeRate.objects.order_by("-updated", "-id").values_list("base", flat=True).first()
    return latest or DEFAULT_BASE_CURRENCY


def get_rates(base_currency: str) -> Rates:
    """Return the stored rates of ``base_currency`` (empty when never refreshed)."""
    rows = list(ExchangeRate.objects.filter(base=base_currency).order_by("currency"))
    return Rates(
        base_currency=base_currency,
        exchange_rates={row.currency: row.rate for row in rows},
        updated=max((row.updated for row in rows), default=None),
        plugin=rows[0].plugin if rows else None,
    )
