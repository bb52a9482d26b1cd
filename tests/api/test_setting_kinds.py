"""Setting kinds beyond the samples: hidden, float, bounded int, callable default and choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from plughost.core.registry import Registry
from plughost.services.registry import Discovery, rebuild
from tests.conftest import ApiClientFactory

PLUGIN = """
from django.core.validators import MaxValueValidator, MinValueValidator

from plughost import InvenTreePlugin
from plughost.mixins import SettingsMixin


def colours():
    return [("red", "Red"), ("blue", "Blue")]


class Kinds(SettingsMixin, InvenTreePlugin):
    NAME = "Kinds"
    SETTINGS = {
        "SECRET_SWITCH": {"name": "Hidden", "validator": bool, "default": True, "hidden": True},
        "RATIO": {"name": "Ratio", "validator": float, "default": 0.5},
        "BOUNDED": {
            "name": "Bounded",
            "validator": [int, MinValueValidator(2), MaxValueValidator(25)],
            "default": 5,
        },
        "COLOUR": {"name": "Colour", "choices": colours, "default": "red"},
        "STAMP": {"name": "Stamp", "default": lambda: "generated"},
    }
"""


@pytest.fixture
def kinds(registry: Registry, data_dir: Path) -> Registry:
    folder = data_dir / "plugins"
    folder.mkdir(exist_ok=True)
    (folder / "kinds.py").write_text(PLUGIN, encoding="utf-8")
    return rebuild(Discovery.RECOLLECT)


URL = "/api/plugins/kinds/settings/"


def test_hidden_setting_is_left_out_of_lists_but_readable(
    kinds: Registry, api_client: ApiClientFactory
) -> None:
    client = api_client("staff")

    listed = [item["key"] for item in client.get(URL).json()]
    everything = client.get("/api/plugins/settings/?plugin__key=kinds").json()["results"]
    direct = client.get(f"{URL}SECRET_SWITCH/")

    assert "SECRET_SWITCH" not in listed
    assert "SECRET_SWITCH" not in [item["key"] for item in everything]
    assert direct.status_code == 200
    assert direct.json()["value"] == "True"


@pytest.mark.parametrize(("value", "stored"), [(2.25, "2.25"), ("3", "3.0"), (-1, "-1.0")])
def test_float_setting(
    kinds: Registry, api_client: ApiClientFactory, value: object, stored: str
) -> None:
    response = api_client("staff").patch(f"{URL}RATIO/", {"value": value}, format="json")

    assert response.status_code == 200
    assert response.json()["value"] == stored


@pytest.mark.parametrize("value", ["abc", "nan", "inf"])
def test_float_setting_rejects_non_numbers(
    kinds: Registry, api_client: ApiClientFactory, value: str
) -> None:
    response = api_client("staff").patch(f"{URL}RATIO/", {"value": value})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        (2, 200, None),
        (25, 200, None),
        (1, 400, "BOUNDED: Ensure this value is greater than or equal to 2."),
        (26, 400, "BOUNDED: Ensure this value is less than or equal to 25."),
    ],
)
def test_integer_bounds(
    kinds: Registry,
    api_client: ApiClientFactory,
    value: int,
    status: int,
    message: str | None,
) -> None:
    response = api_client("staff").patch(f"{URL}BOUNDED/", {"value": value}, format="json")

    assert response.status_code == status
    if message:
        assert response.json() == {"value": [message]}


def test_callable_choices_and_default(kinds: Registry, api_client: ApiClientFactory) -> None:
    client = api_client("staff")

    colour = client.get(f"{URL}COLOUR/").json()
    stamp = client.get(f"{URL}STAMP/").json()
    bad = client.patch(f"{URL}COLOUR/", {"value": "green"})

    assert colour["choices"] == [
        {"value": "red", "display_name": "Red"},
        {"value": "blue", "display_name": "Blue"},
    ]
    assert stamp["value"] == "generated"
    assert bad.status_code == 400
