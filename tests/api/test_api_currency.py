"""``/api/plugins/currency/exchange/``: rates from the active CurrencyExchangeMixin plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from plughost.core.registry import Registry
from plughost.services import plugins
from plughost.services.plugin_settings import update_setting
from plughost.services.registry import Discovery, rebuild
from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.api, pytest.mark.django_db]

URL = "/api/plugins/currency/exchange/"
DEFAULT_CODES = {"AUD", "CAD", "CNY", "EUR", "GBP", "JPY", "NZD", "USD"}

FIXED_RATES = """
from plugin import InvenTreePlugin
from plugin.mixins import CurrencyExchangeMixin


class FixedRates(CurrencyExchangeMixin, InvenTreePlugin):
    NAME = "FixedRates"

    def update_exchange_rates(self, base_currency, symbols):
        if base_currency == "XXX":
            return {"EUR": "not a number"}
        return {symbol: 2.5 for symbol in symbols}
"""


@pytest.fixture
def sample_exchange(registry: Registry) -> None:
    plugins.activate("samplecurrencyexchange")


@pytest.fixture
def fixed_rates(registry: Registry, data_dir: Path) -> None:
    folder = data_dir / "plugins"
    folder.mkdir()
    (folder / "fixed_rates.py").write_text(FIXED_RATES)
    rebuild(Discovery.RECOLLECT)
    plugins.activate("fixedrates")


def test_nothing_stored_yet(registry: Registry, api_client: ApiClientFactory) -> None:
    response = api_client("user").get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "base_currency": "USD",
        "exchange_rates": {},
        "updated": None,
        "plugin": None,
    }


def test_refresh_without_an_exchange_plugin_is_404(
    registry: Registry, api_client: ApiClientFactory
) -> None:
    response = api_client("superuser").post(URL, {}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No active plugin provides exchange rates; activate one with the currency "
        "exchange mixin (for example the sample 'samplecurrencyexchange')"
    }


@pytest.mark.usefixtures("sample_exchange")
def test_refresh_stores_the_sample_plugins_rates(api_client: ApiClientFactory) -> None:
    client = api_client("superuser")

    refreshed = client.post(URL, {}, format="json")

    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body["base_currency"] == "USD"
    assert body["plugin"] == "samplecurrencyexchange"
    assert body["updated"] is not None
    assert set(body["exchange_rates"]) == DEFAULT_CODES
    assert body["exchange_rates"]["USD"] == 1.0
    assert all(0.5 <= rate <= 1.5 for rate in body["exchange_rates"].values())
    assert api_client("user").get(URL).json() == body


@pytest.mark.usefixtures("sample_exchange")
def test_refresh_takes_base_and_symbols(api_client: ApiClientFactory) -> None:
    client = api_client("superuser")

    response = client.post(URL, {"base_currency": "eur", "symbols": "usd, GBP"}, format="json")

    assert response.status_code == 200
    assert set(response.json()["exchange_rates"]) == {"EUR", "USD", "GBP"}
    assert client.get(URL, {"base_currency": "EUR"}).json() == response.json()


@pytest.mark.usefixtures("fixed_rates")
def test_a_refresh_replaces_the_rates_of_its_base(api_client: ApiClientFactory) -> None:
    client = api_client("superuser")
    client.post(URL, {"symbols": ["EUR", "GBP", "JPY"]}, format="json")

    response = client.post(URL, {"symbols": ["CHF"]}, format="json")

    assert response.json()["exchange_rates"] == {"CHF": 2.5}
    assert response.json()["plugin"] == "fixedrates"


@pytest.mark.usefixtures("sample_exchange", "fixed_rates")
def test_the_host_setting_chooses_the_plugin(api_client: ApiClientFactory) -> None:
    client = api_client("superuser")
    assert client.post(URL, {}, format="json").json()["plugin"] == "samplecurrencyexchange"

    update_setting("plughost", "CURRENCY_UPDATE_PLUGIN", "fixedrates")

    assert client.post(URL, {}, format="json").json()["plugin"] == "fixedrates"


@pytest.mark.usefixtures("sample_exchange")
def test_a_setting_naming_an_inactive_plugin_is_404(api_client: ApiClientFactory) -> None:
    update_setting("plughost", "CURRENCY_UPDATE_PLUGIN", "nosuchplugin")

    response = api_client("superuser").post(URL, {}, format="json")

    assert response.status_code == 404
    assert "'nosuchplugin'" in response.json()["detail"]


@pytest.mark.usefixtures("fixed_rates")
def test_a_plugin_answering_nonsense_is_a_502(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(URL, {"base_currency": "XXX"}, format="json")

    assert response.status_code == 502
    assert response.json() == {
        "detail": "Plugin 'fixedrates': update_exchange_rates() returned 'not a number' for EUR, "
        "which is not a number"
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"base_currency": "EURO"}, "base_currency"),
        ({"symbols": "EUR,1X"}, "symbols"),
        ({"symbols": []}, "symbols"),
        ({"symbols": 7}, "symbols"),
    ],
)
@pytest.mark.usefixtures("sample_exchange")
def test_bad_input_is_a_400_naming_the_field(
    api_client: ApiClientFactory, body: dict[str, object], field: str
) -> None:
    response = api_client("superuser").post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.usefixtures("sample_exchange")
def test_only_superusers_refresh(api_client: ApiClientFactory) -> None:
    assert api_client("staff").post(URL, {}, format="json").status_code == 403
    assert api_client("anonymous").get(URL).status_code == 401
