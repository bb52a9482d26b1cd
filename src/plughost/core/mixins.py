"""Mixins: each declares one capability with InvenTree's names; the layer that owns it wires it.

Mixins never register themselves or touch the registry. Each subclasses the base class, so a
type checker can resolve every attribute a mixin uses.
"""

from __future__ import annotations

import json as jsonlib
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from plughost.core.errors import (
    MixinImplementationError,
    MixinNotImplementedError,
    UnknownSettingError,
)
from plughost.core.outbound_http import APIResponse, send
from plughost.core.plugin import InvenTreePlugin
from plughost.core.schedules import SCHEDULE_TYPES, parse_scheduled_tasks

API_CALL_TIMEOUT_SECONDS = 10.0


class SettingsMixin(InvenTreePlugin):
    """Typed, stored settings declared in ``SETTINGS`` (InvenTree's definition format)."""

    MIXIN_KEY = "settings"
    MIXIN_NAME = "Settings"
    SETTINGS: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    @classmethod
    def capability_enabled(cls, plugin: InvenTreePlugin) -> bool:
        """Return whether the plugin declares any setting."""
        return bool(getattr(plugin, "SETTINGS", None))

    @property
    def settings(self) -> Mapping[str, Mapping[str, Any]]:
        """Return the raw setting definitions (InvenTree's ``plugin.settings``)."""
        return self.SETTINGS

    def get_setting(self, key: str, cache: bool = False, backup_value: object = None) -> object:
        """Return the typed value of setting ``key`` (``""`` when undeclared, as InvenTree)."""
        del cache  # settings are always read through the host's cache
        if self._host is None or self._definition is None:
            definition = self.SETTINGS.get(key)
            if definition is None:
                return "" if backup_value is None else backup_value
            default = definition.get("default", "")
            return default() if callable(default) else default
        try:
            return self._host.get_setting(self.slug, key)
        except UnknownSettingError:
            return "" if backup_value is None else backup_value

    def set_setting(self, key: str, value: object, user: object = None) -> None:
        """Validate and store setting ``key``; raise InvalidSettingValueError when it is bad."""
        del user  # the host records changes made through the API; plugin writes are trusted
        if self._host is None:
            raise MixinNotImplementedError("this plugin is not loaded by a host", key=self.slug)
        self._host.set_setting(self.slug, key, value)

    def get_settings_dict(self) -> dict[str, object]:
        """Return every declared setting's typed value."""
        return {key: self.get_setting(key) for key in self.SETTINGS}

    def check_settings(self) -> tuple[bool, list[str]]:
        """Return whether every required setting has a value, and the keys that lack one."""
        missing = [
            key
            for key, definition in self.SETTINGS.items()
            if definition.get("required") and self.get_setting(key) in ("", None)
        ]
        return (not missing, missing)


class UrlsMixin(InvenTreePlugin):
    """URL patterns mounted under ``/plugin/<key>/`` while the plugin is active."""

    MIXIN_KEY = "urls"
    MIXIN_NAME = "URLs"
    URLS: ClassVar[Sequence[object] | None] = None

    @classmethod
    def capability_enabled(cls, plugin: InvenTreePlugin) -> bool:
        """Return whether the plugin declares any URL."""
        return isinstance(plugin, UrlsMixin) and bool(plugin.urls)

    def setup_urls(self) -> Sequence[object] | None:
        """Return the URL patterns; override to build them at load (defaults to ``URLS``)."""
        return self.URLS

    @property
    def urls(self) -> Sequence[object] | None:
        """Return the plugin's URL patterns (InvenTree's ``plugin.urls``)."""
        cached: Sequence[object] | None = getattr(self, "_urls_cache", None)
        if cached is None:
            cached = self.setup_urls()
            self._urls_cache = cached
        return cached

    @property
    def urlpatterns(self) -> Sequence[object] | None:
        """Return the URL patterns, or None without any."""
        return self.urls or None

    @property
    def base_url(self) -> str:
        """Return the mount point, relative to the site root."""
        return f"plugin/{self.slug}/"

    @property
    def internal_name(self) -> str:
        """Return the URL namespace prefix used to reverse the plugin's URLs."""
        return f"plugin:{self.slug}:"


class ScheduleMixin(InvenTreePlugin):
    """Periodic tasks declared in ``SCHEDULED_TASKS`` (InvenTree's format)."""

    MIXIN_KEY = "schedule"
    MIXIN_NAME = "Schedule"
    SCHEDULED_TASKS: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    SCHEDULE_TYPES: ClassVar[tuple[str, ...]] = SCHEDULE_TYPES

    @classmethod
    def capability_enabled(cls, plugin: InvenTreePlugin) -> bool:
        """Return whether the plugin declares any task."""
        return isinstance(plugin, ScheduleMixin) and bool(plugin.get_scheduled_tasks())

    def get_scheduled_tasks(self) -> Mapping[str, Mapping[str, Any]]:
        """Return the task definitions; override to compute them."""
        return self.SCHEDULED_TASKS

    def validate_scheduled_tasks(self) -> None:
        """Raise MixinImplementationError when a task definition is malformed."""
        parse_scheduled_tasks(self.slug, self.get_scheduled_tasks())


class EventMixin(InvenTreePlugin):
    """Receives the host's events through ``process_event``."""

    MIXIN_KEY = "events"
    MIXIN_NAME = "Events"

    def wants_process_event(self, event: str) -> bool:
        """Return whether this plugin wants ``event`` (default: every event)."""
        del event
        return True

    def process_event(self, event: str, *args: object, **kwargs: object) -> None:
        """Handle one event; plugins must override this."""
        raise MixinNotImplementedError(
            f"Plugin '{self.slug}' must implement process_event()", key=self.slug
        )


class ActionMixin(InvenTreePlugin):
    """Answers ``POST /api/action/`` for its ``ACTION_NAME``."""

    MIXIN_KEY = "action"
    MIXIN_NAME = "Actions"
    ACTION_NAME: ClassVar[str] = ""

    def action_name(self) -> str:
        """Return the action this plugin answers (ACTION_NAME, falling back to NAME)."""
        return self.ACTION_NAME or self.NAME

    def perform_action(self, user: object = None, data: object = None) -> None:
        """Carry out the action; override."""
        del user, data

    def get_result(self, user: object = None, data: object = None) -> bool:
        """Return the action's result; override."""
        del user, data
        return False

    def get_info(self, user: object = None, data: object = None) -> object:
        """Return extra information about the action; override."""
        del user, data
        return None

    def get_response(self, user: object = None, data: object = None) -> dict[str, object]:
        """Return the body ``/api/action/`` answers."""
        return {
            "action": self.action_name(),
            "result": self.get_result(user, data),
            "info": self.get_info(user, data),
        }


class APICallMixin(InvenTreePlugin):
    """Outbound HTTP calls to a service whose URL and token are settings.

    Unlike InvenTree's, every call has a timeout (``API_TIMEOUT`` seconds, or the ``timeout``
    argument) and query arguments are URL-encoded. Nothing here logs; the token travels only
    in the request headers, and errors name the URL without its query string.
    """

    MIXIN_KEY = "api_call"
    MIXIN_NAME = "API calls"
    API_METHOD: ClassVar[str] = "https"
    API_URL_SETTING: ClassVar[str | None] = None
    API_TOKEN_SETTING: ClassVar[str | None] = None
    API_TOKEN: ClassVar[str] = "Bearer"
    API_TIMEOUT: ClassVar[float] = API_CALL_TIMEOUT_SECONDS

    @classmethod
    def capability_enabled(cls, plugin: InvenTreePlugin) -> bool:
        """Return whether the URL and token settings are named."""
        return bool(getattr(plugin, "API_URL_SETTING", None)) and bool(
            getattr(plugin, "API_TOKEN_SETTING", None)
        )

    def _setting_text(self, name: str | None, what: str) -> str:
        if not name:
            raise MixinNotImplementedError(f"{what} must be set", key=self.slug)
        getter: Callable[[str], object] | None = getattr(self, "get_setting", None)
        if getter is None:
            raise MixinNotImplementedError("APICallMixin needs SettingsMixin", key=self.slug)
        return str(getter(name))

    @property
    def api_url(self) -> str:
        """Return the service's base URL (``<API_METHOD>://<setting>`` unless it has a scheme)."""
        value = self._setting_text(self.API_URL_SETTING, "API_URL_SETTING")
        return value if "://" in value else f"{self.API_METHOD}://{value}"

    @property
    def api_headers(self) -> dict[str, str]:
        """Return the headers of every call: JSON, and the token when one is set.

        Without ``API_TOKEN_SETTING`` there is no token (InvenTree's rule: plugins that call
        public APIs, some from ``__init__``, declare no token setting).
        """
        headers = {"Content-Type": "application/json"}
        if not self.API_TOKEN_SETTING:
            return headers
        token = self._setting_text(self.API_TOKEN_SETTING, "API_TOKEN_SETTING")
        if token:
            headers[self.API_TOKEN] = token
            headers["Authorization"] = f"{self.API_TOKEN} {token}"
        return headers

    def api_build_url_args(self, arguments: Mapping[str, object]) -> str:
        """Return a URL-encoded query string; list values are joined with commas (InvenTree)."""
        pairs = []
        for key, value in arguments.items():
            text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            pairs.append((key, text))
        return "?" + urllib.parse.urlencode(pairs, safe=",")

    def api_call(  # noqa: PLR0917 - InvenTree's signature; plugins pass these positionally
        self,
        endpoint: str,
        method: str = "GET",
        url_args: Mapping[str, object] | None = None,
        data: object = None,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        simple_response: bool = True,
        endpoint_is_url: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """Call the service; return the decoded JSON body, or an APIResponse.

        An HTTP error status is an answer, as with ``requests``: its body is returned.
        Raises ValueError for ``data`` with ``json``, TimeoutError when the service does not
        answer within the timeout, and ConnectionError when it cannot be reached.
        """
        if data is not None and json is not None:
            raise ValueError("You can either pass `data` or `json` to this function.")
        url = endpoint if endpoint_is_url else f"{self.api_url}/{endpoint.lstrip('/')}"
        if url_args:
            url += self.api_build_url_args(url_args)
        body: bytes | None = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
        elif data is not None:
            body = data if isinstance(data, bytes) else jsonlib.dumps(data).encode()
        request = urllib.request.Request(
            url, data=body, method=method.upper(), headers={**self.api_headers, **(headers or {})}
        )
        response = send(request, timeout or self.API_TIMEOUT)
        if not simple_response:
            return response
        try:
            return response.json()
        except ValueError:
            return response.text


class AppMixin(InvenTreePlugin):
    """A plugin that is a Django app with models and migrations."""

    MIXIN_KEY = "app"
    MIXIN_NAME = "App registration"


class NavigationMixin(InvenTreePlugin):
    """Navigation links for a user interface, exposed as metadata."""

    MIXIN_KEY = "navigation"
    MIXIN_NAME = "Navigation Links"
    NAVIGATION: ClassVar[Sequence[Mapping[str, str]]] = []
    NAVIGATION_TAB_NAME: ClassVar[str | None] = None
    NAVIGATION_TAB_ICON: ClassVar[str] = "fas fa-question"

    @classmethod
    def capability_enabled(cls, plugin: InvenTreePlugin) -> bool:
        """Return whether the plugin declares any link."""
        return bool(getattr(plugin, "NAVIGATION", None))

    @property
    def navigation_name(self) -> str:
        """Return the tab name (NAVIGATION_TAB_NAME, falling back to NAME)."""
        return self.NAVIGATION_TAB_NAME or self.NAME or ""

    def validate_navigation(self) -> None:
        """Raise MixinNotImplementedError when a link lacks ``name`` or ``link``."""
        links = self.NAVIGATION
        if isinstance(links, str | bytes) or not isinstance(links, Sequence):
            raise MixinNotImplementedError(
                "Wrong Link definition: NAVIGATION must be a list of dicts", key=self.slug
            )
        for link in links:
            if not isinstance(link, Mapping) or "name" not in link or "link" not in link:
                raise MixinNotImplementedError(
                    "Wrong Link definition: every NAVIGATION entry needs 'name' and 'link'",
                    key=self.slug,
                )


class ValidationMixin(InvenTreePlugin):
    """Validation hooks the host calls before it stores its own objects."""

    MIXIN_KEY = "validation"
    MIXIN_NAME = "Validation"

    def validate_model_instance(self, instance: object, deltas: object = None) -> object:
        """Raise to reject ``instance``; return True to stop the chain."""
        del instance, deltas
        return None


class SettingsContentMixin(InvenTreePlugin):
    """HTML for a settings page (classic UI only)."""

    MIXIN_KEY = "settingscontent"
    MIXIN_NAME = "SettingsContent"

    def get_settings_content(self, request: object) -> str | None:
        """Return HTML to show on the plugin's settings page."""
        del request
        return None


class PanelMixin(InvenTreePlugin):
    """Custom panels for a user interface."""

    MIXIN_KEY = "panel"
    MIXIN_NAME = "Panel"


class CurrencyExchangeMixin(InvenTreePlugin):
    """Provides currency exchange rates."""

    MIXIN_KEY = "currencyexchange"
    MIXIN_NAME = "CurrentExchange"

    def update_exchange_rates(self, base_currency: str, symbols: Sequence[str]) -> dict[str, float]:
        """Return rates of ``symbols`` against ``base_currency``; override."""
        raise MixinNotImplementedError(
            f"Plugin '{self.slug}' must implement update_exchange_rates()", key=self.slug
        )


class ReportMixin(InvenTreePlugin):
    """Adds context to reports."""

    MIXIN_KEY = "report"
    MIXIN_NAME = "ReportContext"


class BarcodeMixin(InvenTreePlugin):
    """Scans barcodes."""

    MIXIN_KEY = "barcode"
    MIXIN_NAME = "Barcode"

    def scan(self, barcode_data: object) -> dict[str, object] | None:
        """Return what the barcode identifies, or None; override."""
        del barcode_data
        return None


class SupplierBarcodeMixin(BarcodeMixin):
    """Scans supplier barcodes (registers ``supplier-barcode`` as well as ``barcode``)."""

    MIXIN_KEY = "supplier-barcode"
    MIXIN_NAME = "Barcode"


class LabelPrintingMixin(InvenTreePlugin):
    """Prints labels."""

    MIXIN_KEY = "labels"
    MIXIN_NAME = "Label printing"


class LocateMixin(InvenTreePlugin):
    """Locates physical items."""

    MIXIN_KEY = "locate"
    MIXIN_NAME = "Locate"


class NotificationMixin(InvenTreePlugin):
    """Receives the host's notifications, with InvenTree's ``send_notification`` signature.

    ``target`` is the object the notification is about (None for the host's own notices),
    ``category`` a dotted name such as ``plughost.install_failed``, ``users`` the staff
    users to tell, and ``context`` holds at least ``name`` (the subject) and ``message``.
    """

    MIXIN_KEY = "notification"
    MIXIN_NAME = "Notification"

    def send_notification(
        self, target: object, category: str, users: Sequence[object], context: Mapping[str, object]
    ) -> bool:
        """Deliver one notification; return whether it was sent. Override."""
        del target, category, users, context
        return False


class UserInterfaceMixin(InvenTreePlugin):
    """Contributes user-interface features."""

    MIXIN_KEY = "ui"
    MIXIN_NAME = "User Interface"


__all__ = [
    "APICallMixin",
    "APIResponse",
    "ActionMixin",
    "AppMixin",
    "BarcodeMixin",
    "CurrencyExchangeMixin",
    "EventMixin",
    "LabelPrintingMixin",
    "LocateMixin",
    "MixinImplementationError",
    "MixinNotImplementedError",
    "NavigationMixin",
    "NotificationMixin",
    "PanelMixin",
    "ReportMixin",
    "ScheduleMixin",
    "SettingsContentMixin",
    "SettingsMixin",
    "SupplierBarcodeMixin",
    "UrlsMixin",
    "UserInterfaceMixin",
    "ValidationMixin",
]
