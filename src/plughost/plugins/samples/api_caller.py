"""InvenTree's ``sample-api-caller``: calls an external API whose URL and token are settings."""

from __future__ import annotations

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import APICallMixin, SettingsMixin


class SampleApiCallerPlugin(APICallMixin, SettingsMixin, InvenTreePlugin):
    """A plugin that calls an API (reqres.in by default; point API_URL at your own)."""

    NAME = "Sample API Caller"

    SETTINGS = {
        "API_TOKEN": {
            "name": "API Token",
            "protected": True,
        },
        "API_URL": {
            "name": "External URL",
            "description": "Where is your API located?",
            "default": "reqres.in",
        },
    }
    API_URL_SETTING = "API_URL"
    API_TOKEN_SETTING = "API_TOKEN"

    def get_external_url(self) -> object:
        """Return user 2 of the API (``GET <API_URL>/api/users/2``), decoded."""
        return self.api_call("api/users/2")
