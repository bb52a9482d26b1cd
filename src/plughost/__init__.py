"""Plughost: a plugin host that speaks InvenTree's plugin API.

Plugin authors import the SDK from here and from ``plughost.mixins``::

    from plughost import InvenTreePlugin
    from plughost.mixins import SettingsMixin
"""

from plughost.core.errors import MixinImplementationError, MixinNotImplementedError
from plughost.core.plugin import InvenTreePlugin

__all__ = ["InvenTreePlugin", "MixinImplementationError", "MixinNotImplementedError"]
__version__ = "0.1.0"
