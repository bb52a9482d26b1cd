"""InvenTree's ``plugin.helpers``: the two mixin errors plugins raise and catch."""

from plughost.core.errors import MixinImplementationError, MixinNotImplementedError

__all__ = ["MixinImplementationError", "MixinNotImplementedError"]
