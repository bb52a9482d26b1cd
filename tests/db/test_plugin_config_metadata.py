"""``PluginConfig.get_metadata`` / ``set_metadata``: InvenTree's MetadataMixin calls."""

from __future__ import annotations

import pytest

from plugin.models import PluginConfig

pytestmark = pytest.mark.django_db


def test_get_metadata_returns_the_value_or_the_backup() -> None:
    config = PluginConfig.objects.create(key="meta", metadata={"colour": "teal"})

    assert config.get_metadata("colour") == "teal"
    assert config.get_metadata("size") is None
    assert config.get_metadata("size", backup_value=3) == 3


def test_set_metadata_saves_only_the_metadata() -> None:
    config = PluginConfig.objects.create(key="meta", name="Meta")
    config.metadata = None  # as a row read before the column had a value
    PluginConfig.objects.filter(pk=config.pk).update(name="Renamed elsewhere")

    config.set_metadata("colour", "teal")

    stored = PluginConfig.objects.get(pk=config.pk)
    assert stored.metadata == {"colour": "teal"}
    assert stored.name == "Renamed elsewhere"


def test_set_metadata_without_commit_stores_nothing() -> None:
    config = PluginConfig.objects.create(key="meta")

    config.set_metadata("colour", "teal", commit=False)

    assert config.get_metadata("colour") == "teal"
    assert PluginConfig.objects.get(pk=config.pk).metadata == {}
