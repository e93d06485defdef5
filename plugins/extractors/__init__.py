"""Feature extractors for evaluation.

* ``digits`` — genzoo's digit classifier (trained here, pinned by sha256);
* ``inception`` — the FID Inception-v3 (standard FID/KID features) from weights the user has
  locally (``GENZOO_INCEPTION_WEIGHTS``); genzoo never downloads it.

Both are lazy ``module:attr`` references: importing this plugin imports no torch.
"""

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
    register(
        Extractor(
            "inception",
            "genzoo_plugins.extractors.inception:load",
            description=(
                "FID Inception-v3 (pytorch-fid / TF FID graph), 2048-d pool3 features for "
                "standard FID/KID; needs GENZOO_INCEPTION_WEIGHTS=/path/to/"
                "pt_inception-2015-12-05-6726825d.pth (never downloaded)"
            ),
        )
    )
