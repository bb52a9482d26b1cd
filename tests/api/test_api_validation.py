"""ValidationMixin plugins vet plugin settings and metadata before the host stores them."""

from __future__ import annotations

from pathlib import Path

import pytest

from plughost.core.registry import Registry
from plughost.db.models import PluginConfig, PluginSetting
from plughost.services import plugins
from plughost.services.registry import Discovery, current_registry, rebuild
from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.api, pytest.mark.django_db]

VALIDATORS = """
from django.core.exceptions import ValidationError

from plugin import InvenTreePlugin
from plugin.mixins import ValidationMixin
from plugin.models import PluginConfig, PluginSetting


class AllowOverride(ValidationMixin, InvenTreePlugin):
    NAME = "AllowOverride"

    def validate_model_instance(self, instance, deltas=None):
        if isinstance(instance, PluginSetting) and instance.value == "OVERRIDE":
            return True  # stops the chain: NoShouting is not asked
        return None


class NoShouting(ValidationMixin, InvenTreePlugin):
    NAME = "NoShouting"

    def __init__(self):
        super().__init__()
        self.seen = []

    def validate_model_instance(self, instance, deltas=None):
        self.seen.append((type(instance).__name__, deltas))
        value = getattr(instance, "value", "")
        if isinstance(instance, PluginSetting) and len(value) > 1 and value.isupper():
            raise ValidationError("No shouting")
        if isinstance(instance, PluginConfig) and "forbidden" in instance.metadata:
            raise ValidationError({"metadata": "The key 'forbidden' is not allowed"})
"""

SETTING = "/api/plugins/sample/settings/API_KEY/"
METADATA = "/api/plugins/sample/metadata/"


@pytest.fixture
def validators(registry: Registry, data_dir: Path) -> None:
    folder = data_dir / "plugins"
    folder.mkdir()
    (folder / "validators.py").write_text(VALIDATORS)
    rebuild(Discovery.RECOLLECT)
    plugins.activate("allowoverride")
    plugins.activate("noshouting")


def stored_api_key() -> str:
    return PluginSetting.objects.get(plugin__key="sample", key="API_KEY").value


def seen() -> list[tuple[str, object]]:
    plugin = current_registry().find_plugin("noshouting")
    assert plugin is not None
    result: list[tuple[str, object]] = plugin.seen  # type: ignore[attr-defined]
    return result


@pytest.mark.usefixtures("validators")
def test_a_rejected_setting_is_a_400_on_value(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(SETTING, {"value": "LOUD"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"value": ["No shouting"]}
    assert stored_api_key() == ""


@pytest.mark.usefixtures("validators")
def test_an_accepted_setting_is_stored_and_the_plugin_saw_the_deltas(
    api_client: ApiClientFactory,
) -> None:
    response = api_client("staff").patch(SETTING, {"value": "quiet"}, format="json")

    assert response.status_code == 200
    assert stored_api_key() == "quiet"
    assert seen() == [("PluginSetting", {"value": {"old": "", "new": "quiet"}})]


@pytest.mark.usefixtures("validators")
def test_returning_true_stops_the_chain(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(SETTING, {"value": "OVERRIDE"}, format="json")

    assert response.status_code == 200
    assert stored_api_key() == "OVERRIDE"
    assert seen() == []


@pytest.mark.usefixtures("validators")
def test_a_rejected_metadata_write_is_a_400_and_nothing_is_stored(
    api_client: ApiClientFactory,
) -> None:
    response = api_client("staff").patch(METADATA, {"metadata": {"forbidden": 1}}, format="json")

    assert response.status_code == 400
    assert response.json() == {"metadata": ["The key 'forbidden' is not allowed"]}
    assert PluginConfig.objects.get(key="sample").metadata == {}


@pytest.mark.usefixtures("validators")
def test_an_accepted_metadata_write_passes_its_deltas(api_client: ApiClientFactory) -> None:
    response = api_client("staff").patch(METADATA, {"metadata": {"a": 1}}, format="json")

    assert response.status_code == 200
    assert seen() == [("PluginConfig", {"metadata": {"old": {}, "new": {"a": 1}}})]


@pytest.mark.usefixtures("validators")
def test_inactive_validators_are_not_asked(api_client: ApiClientFactory) -> None:
    plugins.deactivate("noshouting")

    response = api_client("staff").patch(SETTING, {"value": "LOUD"}, format="json")

    assert response.status_code == 200
    assert stored_api_key() == "LOUD"
