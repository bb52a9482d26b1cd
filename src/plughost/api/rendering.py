"""Build response bodies of plugins and settings from stored rows and the registry snapshot.

The registry already knows everything ``meta`` and ``mixins`` need, so no per-row query or
serializer runs on the hot read paths.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from plughost.core.definition import PluginMeta
from plughost.core.registry import Registry
from plughost.core.settings import SettingSpec
from plughost.services.plugin_settings import SettingView

logger = logging.getLogger(__name__)

PROTECTED_MASK = "***"
# List endpoints this server serves for the models a setting may reference.
MODEL_API_URLS: Mapping[str, str] = {
    "auth.user": "/api/user/",
    "auth.group": "/api/user/group/",
    "plugin.pluginconfig": "/api/plugins/",
}
_NO_META = dict.fromkeys(PluginMeta.__dataclass_fields__)

PLUGIN_FIELDS = ("id", "key", "name", "package_name", "active")


def render_plugin(row: Mapping[str, Any], registry: Registry) -> dict[str, Any]:
    """Return one plugin object from a config row (``values(*PLUGIN_FIELDS)``)."""
    definition = registry.find_definition(row["key"])
    return {
        "pk": row["id"],
        "key": row["key"],
        "name": row["name"],
        "package_name": row["package_name"],
        "active": row["active"],
        "meta": definition.meta.as_dict() if definition else dict(_NO_META),
        "mixins": definition.mixins_dict() if definition else {},
        "is_builtin": bool(definition and definition.is_builtin),
        "is_sample": bool(definition and definition.is_sample),
        "is_installed": definition is not None,
        "is_package": bool(definition and definition.is_package),
    }


def render_setting(view: SettingView) -> dict[str, Any]:
    """Return one setting object; a protected value is always masked."""
    row, spec = view.row, view.spec
    protected = row.protected or bool(spec and spec.protected)
    return {
        "pk": row.pk,
        "key": row.key,
        "value": PROTECTED_MASK if protected else row.value,
        "name": spec.name if spec else "",
        "description": spec.description if spec else "",
        "type": spec.type.api_name if spec else "string",
        "choices": _choices(spec),
        "model_name": (spec.model or "") if spec else "",
        "api_url": MODEL_API_URLS.get(spec.model, "") if spec and spec.model else "",
        "typ": "plugin",
        "required": bool(spec and spec.required),
        "plugin": view.plugin_key,
    }


def _choices(spec: SettingSpec | None) -> list[dict[str, str]]:
    if spec is None or spec.choices is None:
        return []
    try:
        pairs = spec.choice_pairs()
    except Exception:  # a plugin's choices callable may raise anything
        logger.exception("choices of setting %s raised", spec.key)
        return []
    return [{"value": value, "display_name": display} for value, display in pairs]
