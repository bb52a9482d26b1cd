"""Plugins that ship with the host: always discovered, always loaded, mandatory.

Discovered with ``discover_package("plughost.plugins.builtin", Origin.BUILTIN)``,
through the same path as third-party plugins.
"""
