"""Run ``ValidationMixin`` plugins over the host's own objects before they are stored.

InvenTree's rule: every loaded validation plugin's ``validate_model_instance(instance,
deltas)`` is called in turn; raising Django's ValidationError rejects the change, returning
True stops the chain. ``deltas`` maps each changed field to ``{"old": ..., "new": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError

from plughost.core.errors import PluginCallError
from plughost.core.mixins import ValidationMixin
from plughost.core.registry import Registry


def field_deltas(changes: Mapping[str, tuple[object, object]]) -> dict[str, dict[str, object]]:
    """Return InvenTree's deltas for ``{field: (old, new)}``, keeping the fields that changed."""
    return {field: {"old": old, "new": new} for field, (old, new) in changes.items() if old != new}


def validate_instance(
    registry: Registry, instance: object, deltas: Mapping[str, object], *, field: str
) -> None:
    """Ask each validation plugin about ``instance``; raise ValidationError naming ``field``.

    A plugin's ValidationError without field names is reported on ``field``; a plugin
    failing in any other way raises PluginCallError.
    """
    for plugin in registry.with_mixin("validation"):
        if not isinstance(plugin, ValidationMixin):
            continue
        try:
            verdict = plugin.validate_model_instance(instance, deltas=dict(deltas))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise ValidationError({field: exc.messages}) from exc
        except Exception as exc:
            raise PluginCallError(
                f"Plugin '{plugin.slug}' failed in validate_model_instance(): "
                f"{type(exc).__name__}: {exc}",
                key=plugin.slug,
                method="validate_model_instance",
            ) from exc
        if verdict is True:
            return
