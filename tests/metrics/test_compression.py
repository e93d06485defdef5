"""Compression report: sizes are the real byte counts, and coarser codes never fit better."""

from __future__ import annotations

import io

import pytest
import torch
from PIL import Image

from genzoo.errors import CapabilityError
from genzoo.metrics.compression import compression_report, png_bytes, quantize


def test_png_bytes_are_what_pillow_writes():
    x = torch.zeros(2, 1, 8, 8) - 1
    x[1, 0, 2:6, 2:6] = 1
    sizes = png_bytes(x)
    img = Image.open(io.BytesIO(_png(x[1])))
    assert img.size == (8, 8)
    assert sizes[0] < sizes[1]  # a blank image compresses better


def _png(x):
    from genzoo.imaging import to_pil, to_uint8

    buf = io.BytesIO()
    to_pil(to_uint8(x[None])[0]).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def test_uint8_codes_round_trip_within_one_step():
    z = torch.randn(100, 5)
    q, per, shared = quantize(z, "uint8")
    step = (z.max(0).values - z.min(0).values) / 255
    assert (q - z).abs().le(step / 2 + 1e-6).all()
    assert (per, shared) == (5, 40)
    with pytest.raises(CapabilityError, match="unknown code precision"):
        quantize(z, "int4")


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """The real zoo (installed plugins and the shipped entries), with isolated folders."""
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo

    tmp = tmp_path_factory.mktemp("zoo")
    return Zoo(settings=Settings(store_dir=tmp / "store", cache_dir=tmp / "cache", offline=True))


def test_report_on_a_trained_autoencoder(zoo):
    model = zoo.load("ae-mnist")
    from genzoo.train import load_data

    x = load_data(zoo, model.spec, None, {"split": "test"}).x[:200]
    r = compression_report(model, x)
    assert r["code_bytes_float32"] == 4 * r["code_dims"] == 4 * model.spec.latent.dim
    assert r["recon_mse_float32"] <= r["recon_mse_uint8"] + 1e-6
    assert r["recon_mse_float32"] < 0.03
    assert (
        r["break_even_images_uint8"] * (r["png_bytes_mean"] - r["code_bytes_uint8"])
        >= (r["model_bytes"])
    )


def test_models_without_an_encoder_are_refused(zoo):
    model = zoo.load("dcgan-mnist")
    with pytest.raises(CapabilityError, match="no encoder"):
        compression_report(model, torch.zeros(2, 1, 32, 32))
