"""InvenTree's ``plugin.mixins``: plughost's mixin classes under their InvenTree names."""

from plughost.mixins import *  # noqa: F403 - the very same classes, under InvenTree's module name
from plughost.mixins import __all__ as __all__  # noqa: PLC0414 - mypy's re-export form
