"""The full sample: settings of every kind, URLs and a navigation link (InvenTree's ``sample``)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import NavigationMixin, SettingsMixin, UrlsMixin


def validate_json(value: object) -> None:
    """Raise ValidationError unless ``value`` is a JSON document."""
    try:
        json.loads(str(value))
    except ValueError as exc:
        raise ValidationError(f"Enter valid JSON: {exc}") from exc


class SampleIntegrationPlugin(SettingsMixin, UrlsMixin, NavigationMixin, InvenTreePlugin):
    """A plugin that uses every host-independent capability a plugin can declare."""

    NAME = "SampleIntegrationPlugin"
    SLUG = "sample"
    TITLE = "Sample Plugin"
    DESCRIPTION = "A sample plugin with settings, URLs and a navigation link"
    VERSION = "0.1.0"

    NAVIGATION_TAB_NAME = "Sample Nav"
    NAVIGATION_TAB_ICON = "fas fa-plus"
    NAVIGATION = [{"name": "SampleIntegration", "link": "plugin:sample:hi"}]

    SETTINGS = {
        "PO_FUNCTION_ENABLE": {
            "name": "Enable PO",
            "description": "Enable PO functionality",
            "default": True,
            "validator": bool,
        },
        "API_KEY": {
            "name": "API Key",
            "description": "Key required for accessing external API",
            "required": True,
        },
        "NUMERICAL_SETTING": {
            "name": "Numerical",
            "description": "A numerical setting",
            "validator": [int, MinValueValidator(0)],
            "default": 123,
        },
        "CHOICE_SETTING": {
            "name": "Choice Setting",
            "description": "A setting with multiple choices",
            "choices": [("A", "Anaconda"), ("B", "Bat"), ("C", "Cat"), ("D", "Dog")],
            "default": "A",
        },
        "PROTECTED_SETTING": {
            "name": "Protected Setting",
            "description": "A protected setting, hidden from the UI",
            "default": "ABC-123",
            "protected": True,
        },
        "VALIDATOR_SETTING": {
            "name": "JSON validator Setting",
            "description": "A setting using a JSON validator",
            "validator": validate_json,
        },
        "SELECT_USER": {
            "name": "User",
            "description": "Select a user",
            "model": "auth.user",
        },
    }

    def view_test(self, request: HttpRequest) -> HttpResponse:
        """Greet the user who asked."""
        username = getattr(getattr(request, "user", None), "username", "")
        return HttpResponse(f"Hi there {username} this works", content_type="text/plain")

    def setup_urls(self) -> Sequence[object]:
        """Return ``hi/``, ``ho/he/`` and ``ho/ha/``, all answering with a greeting."""
        he_urls = [
            path("he/", self.view_test, name="he"),
            path("ha/", self.view_test, name="ha"),
        ]
        return [
            path("hi/", self.view_test, name="hi"),
            path("ho/", include(he_urls)),
        ]
