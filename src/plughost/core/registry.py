"""The registry: an immutable snapshot of discovered and loaded plugins.

``build_registry`` runs the loading phases after ``define_plugins``: instantiate each active,
compatible plugin, bind it to the host, check its declared capabilities, then call
``ready()``. A failure is recorded on that plugin with its stage, and the others load.
Readers always see a complete snapshot; the runtime swaps snapshots whole.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from plughost.core.bounded import BoundedRunner, run
from plughost.core.definition import Definitions, PluginDefinition, RegistryError, Stage
from plughost.core.errors import (
    MixinImplementationError,
    PluginNotFoundError,
    PluginTimeoutError,
)
from plughost.core.mixins import NavigationMixin, ScheduleMixin, UrlsMixin
from plughost.core.plugin import InvenTreePlugin, PluginHost


@dataclass(frozen=True)
class Registry:
    """Definitions of every discovered plugin, instances of the loaded ones, and the errors."""

    definitions: Mapping[str, PluginDefinition]
    instances: Mapping[str, InvenTreePlugin]
    errors: tuple[RegistryError, ...] = ()
    version: int = 0
    mixin_index: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[PluginDefinition]:
        """Iterate over definitions in discovery order."""
        return iter(self.definitions.values())

    def __len__(self) -> int:
        """Return the number of discovered plugins."""
        return len(self.definitions)

    def find_definition(self, key: str) -> PluginDefinition | None:
        """Return the definition of ``key``, or None."""
        return self.definitions.get(key)

    def get_definition(self, key: str) -> PluginDefinition:
        """Return the definition of ``key``; raise PluginNotFoundError."""
        definition = self.definitions.get(key)
        if definition is None:
            raise PluginNotFoundError(f"Plugin '{key}' not installed", key=key)
        return definition

    def find_plugin(self, key: str) -> InvenTreePlugin | None:
        """Return the loaded instance of ``key``, or None when it is not loaded."""
        return self.instances.get(key)

    def is_loaded(self, key: str) -> bool:
        """Return whether ``key`` has a loaded instance."""
        return key in self.instances

    def keys_with_mixins(self, mixins: Collection[str]) -> frozenset[str]:
        """Return the keys of plugins that have every mixin in ``mixins``."""
        keys: frozenset[str] | None = None
        for mixin in mixins:
            found = self.mixin_index.get(mixin, frozenset())
            keys = found if keys is None else keys & found
        return frozenset(self.definitions) if keys is None else keys

    def with_mixin(self, mixin: str) -> list[InvenTreePlugin]:
        """Return the loaded plugins whose mixin ``mixin`` is enabled, in discovery order."""
        return [
            plugin
            for key, plugin in self.instances.items()
            if key in self.mixin_index.get(mixin, frozenset()) and plugin.mixin_enabled(mixin)
        ]


def empty_registry() -> Registry:
    """Return a registry with no plugins (before the first build)."""
    return Registry(definitions={}, instances={})


CapabilityCheck = Callable[[InvenTreePlugin], None]


def _check_capabilities(plugin: InvenTreePlugin) -> None:
    """Raise when a declared capability is malformed (InvenTree checks these at init)."""
    if isinstance(plugin, NavigationMixin):
        plugin.validate_navigation()
    if isinstance(plugin, ScheduleMixin) and plugin.get_scheduled_tasks():
        plugin.validate_scheduled_tasks()
    if isinstance(plugin, UrlsMixin):
        # Build the URLs now (InvenTree does so at init), so that a failing setup_urls()
        # is this plugin's init error rather than a failure of the host's URL mounting.
        urls = plugin.urls
        if urls is not None and (isinstance(urls, str | bytes) or not isinstance(urls, Sequence)):
            raise MixinImplementationError(
                f"Plugin '{plugin.slug}': URLS / setup_urls() must give a list of URL patterns",
                key=plugin.slug,
            )


def build_registry(
    definitions: Definitions,
    *,
    active_keys: Collection[str],
    host: PluginHost,
    version: int = 0,
    extra_errors: Collection[RegistryError] = (),
    runner: BoundedRunner | None = None,
    keep: Registry | None = None,
    renew: bool = False,
) -> Registry:
    """Instantiate and ready the active, compatible plugins; record each failure.

    ``keep``: a previous registry whose loaded instances are carried over, unchanged, for
    the plugins that stay active with the same definition (an activation rebuilds the
    registry; it does not re-create every other plugin, nor call their ``ready()`` again).
    ``renew`` (an explicit reload): only builtin plugins are carried over; they are the
    host's own code, with nothing a reload could renew.
    """
    errors = list(extra_errors) + list(definitions.errors)
    instances: dict[str, InvenTreePlugin] = {}
    for key, definition in definitions.by_key.items():
        if not definition.compatible:
            continue
        if not (definition.is_mandatory or key in active_keys):
            continue
        previous = keep.instances.get(key) if keep is not None else None
        same = previous is not None and keep is not None and keep.definitions.get(key) is definition
        if same and previous is not None and (definition.is_builtin or not renew):
            instances[key] = previous
            continue
        plugin = _load_one(definition, host, errors, runner)
        if plugin is not None:
            instances[key] = plugin
    index: dict[str, set[str]] = {}
    for key, definition in definitions.by_key.items():
        for mixin, _ in definition.mixins:
            index.setdefault(mixin, set()).add(key)
    return Registry(
        definitions=MappingProxyType(dict(definitions.by_key)),
        instances=MappingProxyType(instances),
        errors=tuple(errors),
        version=version,
        mixin_index=MappingProxyType({mixin: frozenset(keys) for mixin, keys in index.items()}),
    )


def _load_one(
    definition: PluginDefinition,
    host: PluginHost,
    errors: list[RegistryError],
    runner: BoundedRunner | None,
) -> InvenTreePlugin | None:
    key = definition.key
    # One bounded call for both phases (each hand-over to the runner's thread costs time on
    # every rebuild); the phase reached tells the stage of a failure or a hang.
    phase = [Stage.INIT]

    def load() -> InvenTreePlugin:
        plugin = definition.cls()
        plugin.bind(host, definition)
        _check_capabilities(plugin)
        phase[0] = Stage.READY
        plugin.ready()
        return plugin

    try:
        return run(runner, load, what=f"loading plugin '{key}'", key=key)
    except PluginTimeoutError as exc:
        what = "__init__" if phase[0] is Stage.INIT else "ready()"
        message = exc.message.replace(f"loading plugin '{key}'", f"{what} of plugin '{key}'")
        errors.append(RegistryError(phase[0], key, f"PluginTimeoutError: {message}"))
    except Exception as exc:  # noqa: BLE001 - one plugin's failure must not stop the others
        errors.append(RegistryError(phase[0], key, _describe(exc)))
    return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
