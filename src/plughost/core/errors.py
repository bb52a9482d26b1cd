"""Every error the plugin core raises, in one tree.

::

    PluginError (key)
    ├── DiscoveryError            a module or entry point could not be imported
    ├── InvalidPluginError        breaks the plugin contract (no NAME, reserved or duplicate key)
    ├── IncompatibleVersionError  MIN_VERSION / MAX_VERSION exclude this host
    ├── PluginNotFoundError       no plugin with that key (also a LookupError)
    ├── IllegalStateChangeError   e.g. deactivating a mandatory plugin, deleting an active one
    ├── SettingError
    │   ├── UnknownSettingError   the plugin declares no such setting (also a LookupError)
    │   └── InvalidSettingValueError  the value fails its type, bounds, choices or validator
    ├── MixinImplementationError  a mixin is declared wrongly (InvenTree's name; also a ValueError)
    ├── MixinNotImplementedError  a required mixin method is missing (InvenTree's name)
    ├── PluginTimeoutError        a plugin's import or ready() did not finish in time
    ├── PluginCallError           a plugin's method raised, or returned what the host cannot use
    ├── InstallError              pip failed, timed out or the result did not load (cleaned output)
    │   ├── InstallInputError     a field of the install request is not acceptable (names the field)
    │   ├── InstallBusyError      another install or uninstall is running
    │   └── InstallConflictError  the install would change packages the host depends on
    ├── InstallDisabledError      installs are switched off on this server
    └── RegistryNotReadyError     the registry was asked before it was built

Each error carries structured fields, and its message says what to do.
The HTTP mapping lives in ``plughost.api.exceptions``, nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence


class PluginError(Exception):
    """Base of every plugin error; ``key`` names the plugin when one is concerned."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


class DiscoveryError(PluginError):
    """A plugin module or entry point failed to import."""

    def __init__(self, message: str, *, name: str, key: str | None = None) -> None:
        super().__init__(message, key=key)
        self.name = name


class InvalidPluginError(PluginError):
    """A plugin class breaks the plugin contract."""


class IncompatibleVersionError(PluginError):
    """The plugin's version bounds exclude this host."""


class PluginNotFoundError(PluginError, LookupError):
    """No plugin (or no config) has that key."""


class IllegalStateChangeError(PluginError):
    """The requested change is not allowed in the plugin's current state."""


class SettingError(PluginError):
    """A plugin setting could not be read or written."""

    def __init__(self, message: str, *, key: str | None = None, setting: str) -> None:
        super().__init__(message, key=key)
        self.setting = setting


class UnknownSettingError(SettingError, LookupError):
    """The plugin declares no setting with that key."""


class InvalidSettingValueError(SettingError):
    """A value does not fit the setting's type, bounds, choices or validator."""


class MixinImplementationError(PluginError, ValueError):
    """A mixin is declared wrongly (for example a malformed ``SCHEDULED_TASKS``)."""

    def __init__(self, message: str = "", *, key: str | None = None) -> None:
        super().__init__(message, key=key)


class MixinNotImplementedError(PluginError, NotImplementedError):
    """A method that a mixin requires is missing."""

    def __init__(self, message: str = "", *, key: str | None = None) -> None:
        super().__init__(message, key=key)


class PluginCallError(PluginError):
    """A loaded plugin failed while the host called it (``method`` names what was called)."""

    def __init__(self, message: str, *, key: str, method: str) -> None:
        super().__init__(message, key=key)
        self.method = method


class PluginTimeoutError(PluginError):
    """Plugin code (an import, ``__init__`` or ``ready()``) ran past its time limit."""

    def __init__(self, message: str, *, seconds: float, key: str | None = None) -> None:
        super().__init__(message, key=key)
        self.seconds = seconds


class InstallError(PluginError):
    """An install or uninstall failed; ``output`` holds pip's cleaned output lines."""

    def __init__(self, message: str, *, output: Sequence[str] = (), key: str | None = None) -> None:
        super().__init__(message, key=key)
        self.output = list(output)


class InstallInputError(InstallError):
    """A field of an install request is not acceptable; pip was not run."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class InstallBusyError(InstallError):
    """Another install or uninstall holds the lock."""


class InstallConflictError(InstallError):
    """The install would change packages that the host itself depends on."""

    def __init__(self, message: str, *, conflicts: Sequence[str]) -> None:
        super().__init__(message)
        self.conflicts = list(conflicts)


class InstallDisabledError(PluginError):
    """Installs and uninstalls are switched off on this server."""


class RegistryNotReadyError(PluginError):
    """The registry was asked for before its first build finished."""
