"""The plugin core: SDK, settings specs, discovery, definitions and the registry (no Django)."""
