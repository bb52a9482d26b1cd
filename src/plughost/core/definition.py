"""From discovered classes to validated plugin definitions (no instances yet).

``define_plugins`` is the registry's first phase: it derives each key, reads the class
constants once into ``PluginMeta``, parses settings, refuses reserved and duplicate keys
and checks version bounds. Every failure is recorded against the plugin with its stage.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from plughost.core.errors import IncompatibleVersionError, InvalidPluginError, PluginError
from plughost.core.plugin import InvenTreePlugin
from plughost.core.settings import SettingSpec, build_setting_specs
from plughost.core.version import check_version_bounds

# Path segments under /api/plugins/ that a plugin key would collide with.
RESERVED_KEYS = frozenset(
    {"install", "reload", "status", "settings", "audit", "events", "tasks", "currency"}
)


class Origin(enum.Enum):
    """Where a plugin came from."""

    BUILTIN = "builtin"
    SAMPLE = "sample"
    FOLDER = "folder"
    PACKAGE = "package"


class Stage(enum.Enum):
    """The registry phase in which a plugin failed (shown in ``status/``)."""

    DISCOVERY = "discovery"
    VALIDATE = "validate"
    VERSION = "version"
    INIT = "init"
    READY = "ready"
    APP = "app"  # an AppMixin plugin's Django app could not be added (see services.plugin_apps)


@dataclass(frozen=True)
class Candidate:
    """A plugin class found by discovery, with where it came from."""

    cls: type[InvenTreePlugin]
    origin: Origin
    package_path: str
    package_name: str | None = None
    package_metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryError:
    """One failure of one plugin (or module) in one stage."""

    stage: Stage
    name: str
    message: str


@dataclass(frozen=True)
class PluginMeta:
    """The ``meta`` record of the API, read once from the class and its package."""

    slug: str
    human_name: str
    description: str
    author: str
    pub_date: str
    version: str | None
    website: str | None
    license: str | None
    package_path: str
    settings_url: str

    def as_dict(self) -> dict[str, str | None]:
        """Return the API's ``meta`` object."""
        return {
            "slug": self.slug,
            "human_name": self.human_name,
            "description": self.description,
            "author": self.author,
            "pub_date": self.pub_date,
            "version": self.version,
            "website": self.website,
            "license": self.license,
            "package_path": self.package_path,
            "settings_url": self.settings_url,
        }


@dataclass(frozen=True)
class PluginDefinition:
    """A validated plugin class: everything the API shows, before any instance exists."""

    key: str
    name: str
    cls: type[InvenTreePlugin]
    origin: Origin
    meta: PluginMeta
    mixins: tuple[tuple[str, str], ...]
    settings: Mapping[str, SettingSpec]
    package_name: str | None
    compatible: bool = True

    @property
    def is_builtin(self) -> bool:
        """Return whether the plugin ships with the host."""
        return self.origin is Origin.BUILTIN

    @property
    def is_mandatory(self) -> bool:
        """Return whether the plugin is always active (every builtin is)."""
        return self.origin is Origin.BUILTIN

    @property
    def is_sample(self) -> bool:
        """Return whether the plugin is a host sample."""
        return self.origin is Origin.SAMPLE

    @property
    def is_package(self) -> bool:
        """Return whether the plugin came from an installed package."""
        return self.origin is Origin.PACKAGE

    def has_mixin(self, key: str) -> bool:
        """Return whether the plugin has the mixin ``key``."""
        return any(mixin_key == key for mixin_key, _ in self.mixins)

    def mixins_dict(self) -> dict[str, dict[str, str]]:
        """Return the API's ``mixins`` object."""
        return {key: {"key": key, "human_name": human} for key, human in self.mixins}

    def find_setting(self, setting: str) -> SettingSpec | None:
        """Return the spec of ``setting`` (case-insensitive), or None."""
        wanted = setting.upper()
        for key, spec in self.settings.items():
            if key.upper() == wanted:
                return spec
        return None


@dataclass(frozen=True)
class Definitions:
    """The outcome of the first phase: definitions by key, and what failed."""

    by_key: Mapping[str, PluginDefinition]
    errors: tuple[RegistryError, ...]


def define_plugins(
    candidates: Iterable[Candidate], *, host_version: str, reserved: frozenset[str] = RESERVED_KEYS
) -> Definitions:
    """Validate candidates in order; the first plugin to claim a key keeps it."""
    by_key: dict[str, PluginDefinition] = {}
    errors: list[RegistryError] = []
    for candidate in candidates:
        key = candidate.cls.plugin_key()
        name = key or candidate.cls.__name__
        try:
            definition = _define(candidate, key=key, reserved=reserved, taken=by_key)
        except InvalidPluginError as exc:
            errors.append(RegistryError(Stage.VALIDATE, name, exc.message))
            continue
        try:
            check_version_bounds(
                key=key,
                host_version=host_version,
                min_version=candidate.cls.MIN_VERSION,
                max_version=candidate.cls.MAX_VERSION,
            )
        except (IncompatibleVersionError, InvalidPluginError) as exc:
            errors.append(RegistryError(Stage.VERSION, key, exc.message))
            definition = _replace_compatible(definition)
        by_key[key] = definition
    return Definitions(by_key=by_key, errors=tuple(errors))


def _replace_compatible(definition: PluginDefinition) -> PluginDefinition:
    return PluginDefinition(
        key=definition.key,
        name=definition.name,
        cls=definition.cls,
        origin=definition.origin,
        meta=definition.meta,
        mixins=definition.mixins,
        settings=definition.settings,
        package_name=definition.package_name,
        compatible=False,
    )


def _define(
    candidate: Candidate,
    *,
    key: str,
    reserved: frozenset[str],
    taken: Mapping[str, PluginDefinition],
) -> PluginDefinition:
    cls = candidate.cls
    if not key:
        raise InvalidPluginError(f"{cls.__name__} has no NAME or SLUG to derive its key from")
    if key in reserved:
        raise InvalidPluginError(
            f"Plugin key '{key}' is reserved: /api/plugins/{key}/ is an endpoint of the host; "
            "set SLUG to another value",
            key=key,
        )
    if key in taken:
        holder = taken[key]
        raise InvalidPluginError(
            f"Plugin key '{key}' of {cls.__module__}.{cls.__name__} is already used by "
            f"{holder.cls.__module__}.{holder.cls.__name__} ({holder.origin.value}); "
            "set a unique SLUG",
            key=key,
        )
    settings_source = getattr(cls, "SETTINGS", None) or {}
    try:
        settings = build_setting_specs(settings_source, plugin_key=key)
        mixins = tuple(cls.registered_mixin_keys())
        meta = _read_meta(candidate, key=key)
    except PluginError as exc:
        raise InvalidPluginError(exc.message, key=key) from exc
    except Exception as exc:  # a plugin's class constants may raise anything
        raise InvalidPluginError(f"Plugin '{key}' is malformed: {exc}", key=key) from exc
    return PluginDefinition(
        key=key,
        name=cls.NAME,
        cls=cls,
        origin=candidate.origin,
        meta=meta,
        mixins=mixins,
        settings=settings,
        package_name=candidate.package_name,
    )


def _read_meta(candidate: Candidate, *, key: str) -> PluginMeta:
    cls = candidate.cls
    package = candidate.package_metadata
    pub_date = ""
    if cls.PUBLISH_DATE:
        try:
            pub_date = str(datetime.fromisoformat(str(cls.PUBLISH_DATE)))
        except ValueError as exc:
            raise InvalidPluginError(
                f"Plugin '{key}': PUBLISH_DATE {cls.PUBLISH_DATE!r} is not an ISO date", key=key
            ) from exc
    return PluginMeta(
        slug=key,
        human_name=str(cls.TITLE or cls.NAME),
        description=str(cls.DESCRIPTION or package.get("summary") or cls.NAME),
        author=str(cls.AUTHOR or package.get("author") or "No author found"),
        pub_date=pub_date,
        version=_text(cls.VERSION or package.get("version")),
        website=_text(cls.WEBSITE or package.get("website")),
        license=_text(cls.LICENSE or package.get("license")),
        package_path=candidate.package_path,
        settings_url=f"/settings/#select-plugin-{key}",
    )


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
