"""The Django app that holds plughost's models (label ``plugin``, as in InvenTree)."""

from __future__ import annotations

from django.apps import AppConfig


class PluginDbConfig(AppConfig):
    name = "plughost.db"
    label = "plugin"
    default_auto_field = "django.db.models.BigAutoField"
