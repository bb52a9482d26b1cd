"""Helpers of the core tests: a plugin class factory, an in-memory host, loading shortcuts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from plughost.core.definition import Candidate, Definitions, Origin, define_plugins
from plughost.core.errors import PluginNotFoundError, UnknownSettingError
from plughost.core.plugin import InvenTreePlugin
from plughost.core.registry import Registry, build_registry

HOST_VERSION = "0.16.0"

PluginFactory = Callable[..., type[InvenTreePlugin]]


def make_plugin(
    name: str = "Demo", *mixins: type[InvenTreePlugin], **attributes: Any
) -> type[InvenTreePlugin]:
    """Return a new plugin class named ``name`` with ``mixins`` left of the base class."""
    namespace: dict[str, Any] = {"NAME": name, "__module__": "fake_plugins"}
    namespace.update(attributes)
    class_name = "".join(part for part in name.title() if part.isalnum()) or "Nameless"
    return type(class_name, (*mixins, InvenTreePlugin), namespace)


class FakeHost:
    """An in-memory ``PluginHost``: active keys, stored setting strings, no database."""

    def __init__(self, active: Iterable[str] = (), host_version: str = HOST_VERSION) -> None:
        self.active = set(active)
        self.stored: dict[tuple[str, str], str] = {}
        self.definitions: Mapping[str, Any] = {}
        self._host_version = host_version

    @property
    def host_version(self) -> str:
        return self._host_version

    def is_active(self, key: str) -> bool:
        return key in self.active

    def _spec(self, key: str, setting: str) -> Any:
        definition = self.definitions.get(key)
        if definition is None:
            raise PluginNotFoundError(f"Plugin '{key}' not installed", key=key)
        spec = definition.find_setting(setting)
        if spec is None:
            raise UnknownSettingError("no such setting", key=key, setting=setting)
        return spec

    def get_setting(self, key: str, setting: str) -> object:
        spec = self._spec(key, setting)
        return spec.to_python(self.stored.get((key, spec.key), spec.default_value()))

    def set_setting(self, key: str, setting: str, value: object) -> None:
        spec = self._spec(key, setting)
        self.stored[(key, spec.key)] = spec.clean(value)

    def get_config(self, key: str) -> object:
        return {"key": key, "active": key in self.active}


def candidates(*classes: type[InvenTreePlugin], origin: Origin = Origin.FOLDER) -> list[Candidate]:
    """Wrap classes as discovered candidates of one origin."""
    return [Candidate(cls=cls, origin=origin, package_path=f"{cls.__name__}.py") for cls in classes]


def define(*classes: type[InvenTreePlugin], origin: Origin = Origin.FOLDER) -> Definitions:
    """Run the definition phase over ``classes``."""
    return define_plugins(candidates(*classes, origin=origin), host_version=HOST_VERSION)


def load(
    *classes: type[InvenTreePlugin],
    active: Iterable[str] = (),
    origin: Origin = Origin.FOLDER,
    host: FakeHost | None = None,
) -> Registry:
    """Define ``classes`` and build a registry with ``active`` keys active."""
    definitions = define(*classes, origin=origin)
    host = host or FakeHost(active)
    host.definitions = definitions.by_key
    return build_registry(definitions, active_keys=set(active), host=host)
