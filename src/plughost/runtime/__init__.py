"""The process-wide registry holder, and the metadata cache beside it."""

from plughost.runtime.holder import RegistryHolder, Snapshot, holder
from plughost.runtime.metadata_cache import MetadataCache, metadata_cache

__all__ = ["MetadataCache", "RegistryHolder", "Snapshot", "holder", "metadata_cache"]
