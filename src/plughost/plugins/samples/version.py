"""A plugin whose version bounds exclude current hosts (InvenTree's ``sampleversion``)."""

from __future__ import annotations

from plughost.core.plugin import InvenTreePlugin


class VersionPlugin(InvenTreePlugin):
    """Declares MIN_VERSION 0.1.0 and MAX_VERSION 0.1.3, so the host refuses to load it."""

    NAME = "SampleVersion"
    SLUG = "sampleversion"
    TITLE = "Sample Version Plugin"
    DESCRIPTION = "A plugin with version bounds that exclude this host"
    VERSION = "0.1.0"
    MIN_VERSION = "0.1.0"
    MAX_VERSION = "0.1.3"
