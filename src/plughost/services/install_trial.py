"""Load a newly installed package's plugins on trial, as if active, without swapping them in.

New plugins start inactive, so without a trial a plugin that fails in ``ready()`` would
only fail later, when someone activates it. The instances are thrown away.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings
from packaging.utils import canonicalize_name

from plughost.core.definition import (
    Definitions,
    PluginDefinition,
    RegistryError,
    define_plugins,
)
from plughost.core.errors import (
    UnknownSettingError,
)
from plughost.core.mixins import AppMixin
from plughost.core.registry import build_registry
from plughost.db.models import PluginConfig, PluginSetting
from plughost.runtime import holder
from plughost.services.host import host
from plughost.services.sources import discover_all, plugin_code_runner

logger = logging.getLogger(__name__)
APP_MIXIN = AppMixin.MIXIN_KEY


def trial_load(packages: set[str]) -> list[RegistryError]:
    """Load the plugins of ``packages`` as if active, with ``ready()``; return their failures.

    Nothing is swapped in and the instances are discarded. Failures that concern other
    plugins are not this install's business and are left to the registry.
    """
    if not packages:
        return []
    runner = plugin_code_runner()  # a plugin that hangs on trial is a failure, not a hang
    with holder.rebuilding():  # discovery imports modules: not alongside a rebuild
        found = discover_all(runner)
        definitions = define_plugins(
            found.candidates, host_version=str(settings.PLUGHOST_HOST_VERSION)
        )
        theirs = {
            candidate.cls.plugin_key() or candidate.cls.__name__
            for candidate in found.candidates
            if is_of(candidate.package_name, packages)
        }
        errors = [error for error in found.errors if canonicalize_name(error.name) in packages]
        errors += [error for error in definitions.errors if error.name in theirs]
        # An AppMixin plugin is a Django app that joins the process only when activated
        # (services.plugin_apps), so its instance is not tried here, only its import.
        on_trial = {
            key: definition
            for key, definition in definitions.by_key.items()
            if is_of(definition.package_name, packages)
            and definition.compatible
            and not definition.has_mixin(APP_MIXIN)
        }
        trial = build_registry(
            Definitions(by_key=on_trial, errors=()),
            active_keys=set(on_trial),
            host=TrialHost(on_trial),
            runner=runner,
        )
    return errors + list(trial.errors)


def is_of(package_name: str | None, packages: set[str]) -> bool:
    return package_name is not None and canonicalize_name(package_name) in packages


class TrialHost:
    """The host as plugins on trial see it: their settings come from the new definitions.

    Values stored for an earlier version are read; nothing is ever written (a trial is
    discarded). Questions about other plugins go to the real host.
    """

    def __init__(self, definitions: Mapping[str, PluginDefinition]) -> None:
        self._definitions = definitions

    @property
    def host_version(self) -> str:
        """Return the host version the real host reports."""
        return host.host_version

    def is_active(self, key: str) -> bool:
        """Plugins on trial run as if active."""
        return key in self._definitions or host.is_active(key)

    def get_setting(self, key: str, setting: str) -> object:
        """Return the stored value, or the declared default of a plugin on trial."""
        definition = self._definitions.get(key)
        if definition is None:
            return host.get_setting(key, setting)
        spec = definition.find_setting(setting)
        if spec is None:
            raise UnknownSettingError(
                f"Plugin '{key}' has no setting matching '{setting}'", key=key, setting=setting
            )
        stored = (
            PluginSetting.objects.filter(plugin__key=key, key=spec.key.upper())
            .values_list("value", flat=True)
            .first()
        )
        return spec.to_python(stored if stored is not None else spec.default_value())

    def set_setting(self, key: str, setting: str, value: object) -> None:
        """Validate a value of a plugin on trial without storing it."""
        definition = self._definitions.get(key)
        if definition is None:
            host.set_setting(key, setting, value)
            return
        spec = definition.find_setting(setting)
        if spec is None:
            raise UnknownSettingError(
                f"Plugin '{key}' has no setting matching '{setting}'", key=key, setting=setting
            )
        spec.clean(value)

    def get_config(self, key: str) -> PluginConfig | None:
        """Return the stored config (None for a plugin never seen before)."""
        return host.get_config(key)
