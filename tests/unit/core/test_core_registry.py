"""build_registry: which plugins load, and how each failure is recorded."""

from __future__ import annotations

import pytest
from plugin_factory import FakeHost, define, load, make_plugin

from plughost.core.definition import Origin, Stage
from plughost.core.errors import PluginNotFoundError
from plughost.core.plugin import InvenTreePlugin
from plughost.core.registry import build_registry, empty_registry
from plughost.mixins import EventMixin, NavigationMixin, ScheduleMixin, SettingsMixin, UrlsMixin


def counting_plugin(name: str) -> tuple[type[InvenTreePlugin], list[str]]:
    made: list[str] = []

    class Counted(InvenTreePlugin):
        NAME = name

        def __init__(self) -> None:
            made.append(name)
            super().__init__()

    return Counted, made


def test_inactive_plugins_are_defined_but_not_instantiated() -> None:
    cls, made = counting_plugin("Sleepy")
    registry = load(cls)
    assert "sleepy" in registry.definitions
    assert registry.find_plugin("sleepy") is None
    assert not registry.is_loaded("sleepy")
    assert made == []


def test_active_plugins_are_instantiated_and_bound() -> None:
    cls, made = counting_plugin("Awake")
    host = FakeHost(active=["awake"])
    registry = load(cls, active=["awake"], host=host)
    plugin = registry.instances["awake"]
    assert made == ["Awake"]
    assert plugin.is_active()
    assert plugin.plugin_config() == {"key": "awake", "active": True}
    assert registry.errors == ()


def test_builtin_plugins_are_always_loaded_and_active() -> None:
    registry = load(make_plugin("Core"), origin=Origin.BUILTIN)
    plugin = registry.instances["core"]
    assert plugin.is_active()
    assert plugin.is_builtin


def test_incompatible_plugins_are_not_loaded_even_when_active() -> None:
    registry = load(make_plugin("Old", MAX_VERSION="0.1.3"), active=["old"])
    assert not registry.is_loaded("old")
    assert registry.get_definition("old").compatible is False
    assert [(e.stage, e.name) for e in registry.errors] == [(Stage.VERSION, "old")]


def test_an_init_error_is_recorded_and_the_others_load() -> None:
    class Broken(InvenTreePlugin):
        NAME = "Broken"

        def __init__(self) -> None:
            raise KeyError("This is a dummy error")

    registry = load(Broken, make_plugin("Fine"), active=["broken", "fine"])
    assert list(registry.instances) == ["fine"]
    [error] = registry.errors
    assert (error.stage, error.name) == (Stage.INIT, "broken")
    assert error.message == "KeyError: 'This is a dummy error'"


def test_a_ready_error_is_recorded_and_the_others_load() -> None:
    readied: list[str] = []

    class Fussy(InvenTreePlugin):
        NAME = "Fussy"

        def ready(self) -> None:
            raise RuntimeError("not today")

    class Calm(InvenTreePlugin):
        NAME = "Calm"

        def ready(self) -> None:
            readied.append(self.slug)

    registry = load(Fussy, Calm, active=["fussy", "calm"])
    assert list(registry.instances) == ["calm"]
    assert readied == ["calm"]
    [error] = registry.errors
    assert (error.stage, error.name, error.message) == (
        Stage.READY,
        "fussy",
        "RuntimeError: not today",
    )


@pytest.mark.parametrize(
    "navigation",
    [
        [{"name": "No link"}],
        [{"link": "plugin:x:y"}],
        ["name link"],
        "name link",
    ],
)
def test_malformed_navigation_is_an_init_error(navigation: object) -> None:
    registry = load(make_plugin("Nav", NavigationMixin, NAVIGATION=navigation), active=["nav"])
    assert not registry.is_loaded("nav")
    [error] = registry.errors
    assert (error.stage, error.name) == (Stage.INIT, "nav")
    assert "MixinNotImplementedError" in error.message


def test_wellformed_navigation_loads() -> None:
    cls = make_plugin(
        "Nav", NavigationMixin, NAVIGATION=[{"name": "Home", "link": "plugin:nav:hi"}]
    )
    registry = load(cls, active=["nav"])
    assert registry.is_loaded("nav")
    assert registry.with_mixin("navigation") == [registry.instances["nav"]]


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ({"t": {"schedule": "I", "minutes": 5}}, "missing 'func'"),
        ({"t": {"func": "f", "schedule": "Z"}}, "invalid schedule 'Z'"),
        ({"t": {"func": "f"}}, "invalid schedule None"),
        ({"t": {"func": "f", "schedule": "I"}}, "missing 'minutes'"),
        ({"t": "func"}, "must be a dict"),
        ({"t": 5}, "must be a dict"),
    ],
)
def test_malformed_scheduled_tasks_are_an_init_error(tasks: object, message: str) -> None:
    registry = load(make_plugin("Sched", ScheduleMixin, SCHEDULED_TASKS=tasks), active=["sched"])
    assert not registry.is_loaded("sched")
    [error] = registry.errors
    assert (error.stage, error.name) == (Stage.INIT, "sched")
    assert error.message.startswith("MixinImplementationError")
    assert message in error.message


def test_wellformed_scheduled_tasks_load() -> None:
    tasks = {
        "member": {"func": "member_func", "schedule": "I", "minutes": 30},
        "world": {"func": "os.getcwd", "schedule": "H"},
    }
    registry = load(make_plugin("Sched", ScheduleMixin, SCHEDULED_TASKS=tasks), active=["sched"])
    assert registry.errors == ()
    assert [p.slug for p in registry.with_mixin("schedule")] == ["sched"]


def test_a_failing_setup_urls_is_an_init_error() -> None:
    class Broken(UrlsMixin, InvenTreePlugin):
        NAME = "Broken Urls"

        def setup_urls(self) -> list[object]:
            raise RuntimeError("no urls today")

    registry = load(
        Broken, make_plugin("Fine", UrlsMixin, URLS=["p"]), active=["broken-urls", "fine"]
    )
    assert list(registry.instances) == ["fine"]
    [error] = registry.errors
    assert (error.stage, error.name) == (Stage.INIT, "broken-urls")
    assert error.message == "RuntimeError: no urls today"


@pytest.mark.parametrize("urls", ["hi/", 5, {"hi/": "view"}])
def test_urls_that_are_not_a_list_are_an_init_error(urls: object) -> None:
    registry = load(make_plugin("Odd", UrlsMixin, URLS=urls), active=["odd"])
    assert not registry.is_loaded("odd")
    [error] = registry.errors
    assert (error.stage, error.name) == (Stage.INIT, "odd")
    assert "must give a list of URL patterns" in error.message


def test_errors_of_earlier_phases_are_kept_in_order() -> None:
    definitions = define(make_plugin("Status"), make_plugin("Old", MIN_VERSION="99"))
    registry = build_registry(
        definitions,
        active_keys=(),
        host=FakeHost(),
        extra_errors=[],
        version=3,
    )
    assert [(e.stage, e.name) for e in registry.errors] == [
        (Stage.VALIDATE, "status"),
        (Stage.VERSION, "old"),
    ]
    assert registry.version == 3


def test_lookups_and_mixin_index() -> None:
    registry = load(
        make_plugin("Conf", SettingsMixin, SETTINGS={"A": {}}),
        make_plugin("Web", UrlsMixin, SettingsMixin, URLS=["pattern"], SETTINGS={"B": {}}),
        make_plugin("Bare", SettingsMixin),
        make_plugin("Listener", EventMixin),
        active=["conf", "web", "bare"],
    )
    assert len(registry) == 4
    assert [d.key for d in registry] == ["conf", "web", "bare", "listener"]
    assert registry.keys_with_mixins(["settings"]) == {"conf", "web", "bare"}
    assert registry.keys_with_mixins(["settings", "urls"]) == {"web"}
    assert registry.keys_with_mixins([]) == {"conf", "web", "bare", "listener"}
    assert registry.keys_with_mixins(["nothing"]) == frozenset()
    # with_mixin: loaded and enabled only (Bare declares no SETTINGS, Listener is inactive).
    assert [p.slug for p in registry.with_mixin("settings")] == ["conf", "web"]
    assert registry.with_mixin("events") == []
    assert registry.find_definition("nope") is None
    with pytest.raises(PluginNotFoundError, match="Plugin 'nope' not installed") as caught:
        registry.get_definition("nope")
    assert caught.value.key == "nope"
    assert isinstance(caught.value, LookupError)


def test_registry_is_read_only() -> None:
    registry = load(make_plugin("One"), active=["one"])
    with pytest.raises(TypeError):
        registry.instances["two"] = registry.instances["one"]  # type: ignore[index]
    with pytest.raises(TypeError):
        registry.definitions["two"] = registry.definitions["one"]  # type: ignore[index]


def test_empty_registry() -> None:
    registry = empty_registry()
    assert len(registry) == 0
    assert registry.errors == ()
    assert registry.with_mixin("settings") == []
