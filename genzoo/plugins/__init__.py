"""Plugin machinery: hook specifications and the plugin manager."""

import pluggy

hookimpl = pluggy.HookimplMarker("genzoo")

__all__ = ["hookimpl"]
