"""The plugin base class, with InvenTree's class constants and instance API.

Plugin authors subclass ``InvenTreePlugin`` (and mixins from ``plughost.mixins``).
The host reads the class constants once, at load, into a ``PluginMeta`` record
(``plughost.core.definition``); at instantiation it binds the plugin to a
``PluginHost`` through which settings and state are read, so the class itself
never touches a database.
"""

from __future__ import annotations

import inspect
import logging
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from plughost.core.definition import PluginDefinition

#: Where the host serves the files of a plugin package's ``static/`` folder.
STATIC_URL_PREFIX = "/static/plugins/"
#: Plugin loggers are children of InvenTree's logger name: whoever listens to ``inventree``
#: (as operators of InvenTree do) hears every plugin, and plugins that call
#: ``logging.getLogger("inventree")`` themselves log to the same place.
PLUGIN_LOGGER_PREFIX = "inventree.plugin."


class PluginHost(Protocol):
    """What a loaded plugin may ask of the host that loaded it."""

    @property
    def host_version(self) -> str:
        """Return the InvenTree-compatible version this host reports."""
        ...

    def is_active(self, key: str) -> bool:
        """Return whether the plugin with ``key`` is active."""
        ...

    def get_setting(self, key: str, setting: str) -> object:
        """Return the typed value of one setting of plugin ``key``."""
        ...

    def set_setting(self, key: str, setting: str, value: object) -> None:
        """Validate and store one setting of plugin ``key``."""
        ...

    def get_config(self, key: str) -> object:
        """Return the stored config (database row) of plugin ``key``."""
        ...


def slugify(value: object) -> str:
    """Return Django's slugify of ``value``: lower-case, spaces to hyphens, symbols dropped."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[-\s]+", "-", text).strip("-_")


class InvenTreePlugin:
    """Base class of every plugin (InvenTree's name, kept so plugins load unchanged)."""

    NAME: ClassVar[str] = ""
    SLUG: ClassVar[str | None] = None
    TITLE: ClassVar[str | None] = None
    DESCRIPTION: ClassVar[str | None] = None
    AUTHOR: ClassVar[str | None] = None
    PUBLISH_DATE: ClassVar[str | None] = None
    VERSION: ClassVar[str | None] = None
    WEBSITE: ClassVar[str | None] = None
    LICENSE: ClassVar[str | None] = None
    MIN_VERSION: ClassVar[str | None] = None
    MAX_VERSION: ClassVar[str | None] = None

    MIXIN_KEY: ClassVar[str] = "base"
    MIXIN_NAME: ClassVar[str] = "base"

    def __init__(self) -> None:
        self._host: PluginHost | None = None
        self._definition: PluginDefinition | None = None
        self.logger = logging.getLogger(f"{PLUGIN_LOGGER_PREFIX}{self.slug or type(self).__name__}")

    # Binding ---------------------------------------------------------------------------
    def bind(self, host: PluginHost, definition: PluginDefinition) -> None:
        """Attach this instance to its host and definition; called once by the registry."""
        self._host = host
        self._definition = definition

    def ready(self) -> None:
        """Run once after the plugin is loaded and bound; raise to refuse loading."""

    # Identity (InvenTree's instance API) ------------------------------------------------
    @classmethod
    def plugin_key(cls) -> str:
        """Return the registry key: ``slugify(SLUG or NAME)``, as InvenTree derives it."""
        return slugify(cls.SLUG or cls.NAME or "")

    @property
    def name(self) -> str:
        """Return the plugin's NAME."""
        return self.NAME

    def plugin_name(self) -> str:
        """Return the plugin's NAME (InvenTree's method form)."""
        return self.NAME

    @property
    def slug(self) -> str:
        """Return the plugin's key."""
        return self.plugin_key()

    @property
    def human_name(self) -> str:
        """Return TITLE, falling back to NAME."""
        return self.TITLE or self.NAME

    @property
    def description(self) -> str:
        """Return DESCRIPTION, falling back to the package summary, then NAME."""
        return self._meta_value("description") or self.DESCRIPTION or self.NAME

    @property
    def author(self) -> str | None:
        """Return AUTHOR (or the package's author)."""
        return self._meta_value("author") or self.AUTHOR

    @property
    def pub_date(self) -> datetime | str | None:
        """Return PUBLISH_DATE parsed as a datetime, or ``""`` when unknown."""
        if self.PUBLISH_DATE:
            return datetime.fromisoformat(str(self.PUBLISH_DATE))
        return ""

    @property
    def version(self) -> str | None:
        """Return VERSION (or the package's version)."""
        return self._meta_value("version") or self.VERSION

    @property
    def website(self) -> str | None:
        """Return WEBSITE (or the package's home page)."""
        return self._meta_value("website") or self.WEBSITE

    @property
    def license(self) -> str | None:
        """Return LICENSE (or the package's licence)."""
        return self._meta_value("license") or self.LICENSE

    @property
    def package_path(self) -> str | None:
        """Return where the plugin's code lives (a relative file path or a module name)."""
        return self._meta_value("package_path")

    @property
    def settings_url(self) -> str:
        """Return the settings page link, as InvenTree's classic frontend writes it."""
        return f"/settings/#select-plugin-{self.slug}"

    @property
    def is_builtin(self) -> bool:
        """Return whether the plugin ships with the host."""
        return self._definition is not None and self._definition.is_builtin

    @property
    def is_sample(self) -> bool:
        """Return whether the plugin is one of the host's samples."""
        return self._definition is not None and self._definition.is_sample

    @property
    def is_package(self) -> bool:
        """Return whether the plugin came from an installed package (an entry point)."""
        return self._definition is not None and self._definition.is_package

    @property
    def package_name(self) -> str | None:
        """Return the distribution name of the package the plugin came from."""
        return self._definition.package_name if self._definition else None

    # Files --------------------------------------------------------------------------------
    @classmethod
    def file(cls) -> Path:
        """Return the file that defines the plugin class."""
        return Path(inspect.getfile(cls))

    @classmethod
    def path(cls) -> Path:
        """Return the folder of the plugin's code (its ``static/`` folder lives here)."""
        return cls.file().parent

    def plugin_static_file(self, *parts: str) -> str:
        """Return the URL of a file of the plugin's ``static/`` folder.

        ``plugin_static_file("js", "app.js")`` gives ``/static/plugins/<key>/js/app.js``.
        """
        segments = [self.slug, *(str(part).strip("/") for part in parts)]
        return STATIC_URL_PREFIX + "/".join(segment for segment in segments if segment)

    # State --------------------------------------------------------------------------------
    def is_active(self) -> bool:
        """Return whether the plugin is active (mandatory plugins always are)."""
        if self._definition is not None and self._definition.is_mandatory:
            return True
        return self._host is not None and self._host.is_active(self.slug)

    def plugin_config(self) -> Any:
        """Return the plugin's stored config (InvenTree's PluginConfig row)."""
        if self._host is None:
            return None
        return self._host.get_config(self.slug)

    # Mixins -------------------------------------------------------------------------------
    @classmethod
    def mixin_classes(cls) -> list[type[InvenTreePlugin]]:
        """Return the capability classes of this plugin, base first, then InvenTree's order."""
        found: list[type[InvenTreePlugin]] = [InvenTreePlugin]
        for klass in reversed(cls.__mro__):
            if (
                isinstance(klass, type)
                and issubclass(klass, InvenTreePlugin)
                and klass is not InvenTreePlugin
                and "MIXIN_KEY" in vars(klass)
            ):
                found.append(klass)
        return found

    @classmethod
    def registered_mixin_keys(cls) -> list[tuple[str, str]]:
        """Return ``(key, human_name)`` for each mixin, as the API's ``mixins`` field lists them."""
        pairs: list[tuple[str, str]] = []
        for klass in cls.mixin_classes():
            for key, human in klass.own_mixin_keys():
                if key not in {existing for existing, _ in pairs}:
                    pairs.append((key, human))
        return pairs

    @classmethod
    def own_mixin_keys(cls) -> list[tuple[str, str]]:
        """Return the mixin keys this class itself declares (a few declare two)."""
        return [(cls.MIXIN_KEY, cls.MIXIN_NAME)]

    def mixin(self, key: str) -> bool:
        """Return whether the plugin has the mixin ``key``."""
        return key in {mixin_key for mixin_key, _ in self.registered_mixin_keys()}

    def mixin_enabled(self, key: str) -> bool:
        """Return whether the mixin ``key`` is present and enabled (declares something)."""
        if not self.mixin(key):
            return False
        for klass in self.mixin_classes():
            if key in {k for k, _ in klass.own_mixin_keys()}:
                return klass.capability_enabled(self)
        return False

    @classmethod
    def capability_enabled(cls, plugin: InvenTreePlugin) -> bool:
        """Return whether this mixin's capability is in use on ``plugin`` (default: yes)."""
        return True

    def _meta_value(self, name: str) -> str | None:
        if self._definition is None:
            return None
        value = getattr(self._definition.meta, name, None)
        return None if value is None else str(value)
