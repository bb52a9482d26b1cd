"""The process-wide registry holder."""

from plughost.runtime.holder import RegistryHolder, Snapshot, holder

__all__ = ["RegistryHolder", "Snapshot", "holder"]
