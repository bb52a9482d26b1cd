"""InvenTree's ``samplecurrencyexchange``: random exchange rates, for trying the endpoint."""

from __future__ import annotations

import random
from collections.abc import Sequence

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import CurrencyExchangeMixin


class SampleCurrencyExchangePlugin(CurrencyExchangeMixin, InvenTreePlugin):
    """Gives a random rate between 0.5 and 1.4 for every currency (never use it for money)."""

    NAME = "SampleExchange"
    SLUG = "samplecurrencyexchange"
    TITLE = "Sample Exchange"
    DESCRIPTION = "Sample currency exchange plugin"
    VERSION = "0.1.0"

    def update_exchange_rates(self, base_currency: str, symbols: Sequence[str]) -> dict[str, float]:
        """Return the base at 1.0 and a random rate for each other currency."""
        rates = {base_currency: 1.00}
        for symbol in symbols:
            if symbol != base_currency:
                rates[symbol] = random.randrange(5, 15) * 0.1
        return rates
