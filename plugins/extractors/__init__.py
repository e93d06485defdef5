"""Feature extractors for evaluation: genzoo's digit classifier (trained here, pinned by sha256)."""

from __future__ import annotations

from genzoo.plugins import hookimpl
from genzoo.registry import Extractor


@hookimpl
def genzoo_register_extractors(register):  # type: ignore[no-untyped-def]
    register(
        Extractor(
            "digits",
            "genzoo_plugins.extractors.digits:load",
            description="small CNN trained by genzoo on mnist5k (28×28 grey); 128-d features",
        )
    )
