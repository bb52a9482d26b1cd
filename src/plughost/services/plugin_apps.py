"""Make the Django apps of active ``AppMixin`` plugins part of this process's Django.

An ``AppMixin`` plugin is a Django app with models and migrations. Which module is the app
follows InvenTree: the top-level package of a packaged plugin (``inventree_kicad`` for
``inventree_kicad.KiCadLibraryPlugin``); for a plugin-folder plugin, its file or package.

Adding an app to a running Django is what ``apps.populate()`` does for each app, done for
one: create its ``AppConfig``, put it in ``apps.app_configs``, import its models, clear the
caches, call ``ready()``. Every process does this when it builds a registry in which the
plugin is active (``ensure_apps``, called by the registry build), so all workers of all
nodes see the models without a restart. Migrations run once, in the process that activates
the plugin (``prepare_app``), and at every start in ``plughost serve`` before the workers
fork (``migrate_plugin_apps``).

Django cannot take an app in a running process when the app's models clash with models this
process already holds (typically: the package was upgraded after its models were imported).
Then the plugin is not loaded, ``status/`` shows a registry error of stage ``app`` saying
that a restart is needed, and a restart completes the activation. Apps are not removed from
a running process on deactivation: their models stay importable, unused, until a restart.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Collection, Iterable

from django.apps import AppConfig, apps
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.template import engines
from django.template.utils import get_app_template_dirs

from plughost.core.definition import Definitions, Origin, PluginDefinition, RegistryError, Stage
from plughost.core.errors import IllegalStateChangeError

logger = logging.getLogger(__name__)

RESTART_NEEDED = "restart the server to complete its activation"

_lock = threading.RLock()
#: Plugin keys whose app this process cannot take; a restart clears it, as it should.
_needs_restart: dict[str, str] = {}


class AppRestartNeeded(Exception):  # noqa: N818 - a state, not a failure of the host
    """This process cannot add the app; a new process can."""


def app_module(definition: PluginDefinition) -> str:
    """Return the dotted name of the Django app that plugin ``definition`` is."""
    module = definition.cls.__module__
    parts = module.split(".")
    if definition.origin is Origin.PACKAGE:
        return parts[0]
    if definition.origin is Origin.FOLDER:
        return ".".join(parts[:2])  # "<folder prefix>.<file or package>"
    return module.rsplit(".", 1)[0] if len(parts) > 1 else module


def is_app_plugin(definition: PluginDefinition) -> bool:
    """Return whether the plugin declares the ``app`` mixin."""
    return definition.has_mixin("app")


def ensure_apps(definitions: Definitions, active_keys: Collection[str]) -> list[RegistryError]:
    """Add the apps of the active app plugins to this process; return what could not be added."""
    errors: list[RegistryError] = []
    for key, definition in definitions.by_key.items():
        if key not in active_keys or not definition.compatible or not is_app_plugin(definition):
            continue
        try:
            ensure_app(key, app_module(definition))
        except AppRestartNeeded as exc:
            errors.append(RegistryError(Stage.APP, key, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one plugin's app must not stop the others
            errors.append(
                RegistryError(
                    Stage.APP,
                    key,
                    f"Its Django app '{app_module(definition)}' cannot be added: "
                    f"{type(exc).__name__}: {exc}",
                )
            )
    return errors


def ensure_app(key: str, module: str) -> AppConfig:
    """Add app ``module`` to this process's Django (once) and return its config.

    Raises AppRestartNeeded when only a new process can take it, and the app's own errors
    (ImportError, ImproperlyConfigured...) when it is broken.
    """
    with _lock:
        if key in _needs_restart:
            raise AppRestartNeeded(_needs_restart[key])
        config = AppConfig.create(module)
        existing = apps.app_configs.get(config.label)
        if existing is not None:
            if existing.name == config.name:
                return existing
            raise IllegalStateChangeError(
                f"The app label '{config.label}' of '{module}' is already used by the app "
                f"'{existing.name}'; the plugin's package must have another name",
                key=key,
            )
        _add(config)
        try:
            config.import_models()
            apps.clear_cache()
            config.ready()
        except RuntimeError as exc:
            _remove(config.label)
            if "Conflicting" not in str(exc):
                raise
            reason = (
                f"Its Django app '{module}' clashes with models this server process loaded "
                f"earlier ({exc}); {RESTART_NEEDED}"
            )
            _needs_restart[key] = reason
            raise AppRestartNeeded(reason) from exc
        except BaseException:
            _remove(config.label)
            raise
        _forget_template_dirs()
        logger.info("added the Django app %s of plugin %s", module, key)
        return config


def _add(config: AppConfig) -> None:
    config.apps = apps
    # A new dict, swapped in whole: readers iterating the old one are not disturbed.
    apps.app_configs = {**apps.app_configs, config.label: config}


def _remove(label: str) -> None:
    apps.app_configs = {k: v for k, v in apps.app_configs.items() if k != label}
    apps.clear_cache()


def _forget_template_dirs() -> None:
    """Let the template loaders see the new app's ``templates/`` folder."""
    cache_clear = getattr(get_app_template_dirs, "cache_clear", None)  # an lru_cache
    if callable(cache_clear):
        cache_clear()
    for engine in engines.all():
        for loader in getattr(getattr(engine, "engine", None), "template_loaders", ()):
            reset = getattr(loader, "reset", None)
            if callable(reset):
                reset()


def needs_restart(key: str) -> bool:
    """Return whether plugin ``key``'s app waits for a restart in this process."""
    return key in _needs_restart


def has_migrations(label: str) -> bool:
    """Return whether app ``label`` has a migrations package."""
    module, _ = MigrationLoader.migrations_module(label)
    if module is None:
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # the app is a plain module, not a package
        return False


def migrate(label: str) -> bool:
    """Apply the migrations of app ``label``; return False when it has no tables to make.

    An app with models but no migrations gets its tables made from the models, as
    InvenTree's ``migrate --run-syncdb`` makes them.
    """
    if has_migrations(label):
        call_command("migrate", label, interactive=False, verbosity=0)
        return True
    if apps.get_app_config(label).models:
        call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
        return True
    return False


def prepare_app(definition: PluginDefinition) -> bool:
    """Add the plugin's app here and migrate it, before it is stored active.

    Return False when a restart is needed to add it (its migrations then run at the next
    ``plughost serve``). Raises IllegalStateChangeError when the app is broken or its
    migrations fail, so the plugin is not activated.
    """
    module = app_module(definition)
    try:
        config = ensure_app(definition.key, module)
    except AppRestartNeeded:
        return False
    except IllegalStateChangeError:
        raise
    except Exception as exc:
        raise IllegalStateChangeError(
            f"Plugin '{definition.key}' cannot be activated: its Django app '{module}' "
            f"cannot be added: {type(exc).__name__}: {exc}",
            key=definition.key,
        ) from exc
    try:
        migrate(config.label)
    except Exception as exc:
        raise IllegalStateChangeError(
            f"Plugin '{definition.key}' cannot be activated: migrating its app "
            f"'{config.label}' failed: {type(exc).__name__}: {exc}",
            key=definition.key,
        ) from exc
    return True


def loaded_app_labels(definitions: Iterable[PluginDefinition]) -> list[str]:
    """Return the labels of the plugin apps among ``definitions`` that this process holds."""
    labels = []
    for definition in definitions:
        if not is_app_plugin(definition):
            continue
        config = next((c for c in apps.get_app_configs() if c.name == app_module(definition)), None)
        if config is not None:
            labels.append(config.label)
    return labels
