"""The plugin SDK's mixins, under InvenTree's class names (``plughost.core.mixins``)."""

from plughost.core.mixins import *  # noqa: F403 - the public SDK names are core's __all__
from plughost.core.mixins import __all__ as __all__  # noqa: PLC0414 - mypy's re-export form
