"""Sample plugins with InvenTree's keys, for trying the host and for its tests.

Discovered with ``discover_package("plughost.plugins.samples", Origin.SAMPLE)`` when the
host enables samples; inactive until activated, like any non-builtin plugin.
"""
