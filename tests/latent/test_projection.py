"""Projection (GAN inversion) in z, w and w+ on shipped entries, and ``genzoo project``.

The targets are the models' own images, so the true latent is known. An image pins down only
part of a latent (for stylegan-mnist a few dozen of w's 128 directions carry most of the
image), so the recovered latent is checked to be nearer the truth than the start, not equal to
it; the reconstruction is checked against a fraction of the start's pixel MSE. The tolerances
hold with margin on seeds 1–8 (see the comments).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from genzoo.errors import CapabilityError
from genzoo.projection import average_w, check_space, feature_function, project

SEED = 3


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These small models run fastest on one thread (and do not oversubscribe a busy CPU)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """The real zoo (installed plugins and the shipped entries), offline, isolated folders."""
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo

    tmp = tmp_path_factory.mktemp("zoo")
    return Zoo(settings=Settings(store_dir=tmp / "store", cache_dir=tmp / "cache", offline=True))


@pytest.fixture(scope="module")
def stylegan(zoo):
    return zoo.load("stylegan-mnist")


@pytest.fixture(scope="module")
def dcgan(zoo):
    return zoo.load("dcgan-mnist")


@pytest.fixture(scope="module")
def digits(zoo):
    return zoo.registries.extractors.get("digits").function()()


def generated_w(model, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The true w (1×W) of a seed's z and its image (1×C×H×W)."""
    z = model.sample_latent(1, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        ws = model.mapping(z)  # 1×L×W, every layer the same w
        return ws[:, 0], model.synthesis(ws)


def w_error(latent: torch.Tensor, w_true: torch.Tensor) -> float:
    """Mean over layers of ‖w_l − w_true‖ (a 1×W latent counts as one layer)."""
    return float((latent.reshape(-1, w_true.shape[-1]) - w_true).norm(dim=-1).mean())


@pytest.mark.parametrize(("space", "layer_weight"), [("w", 0.0), ("w+", 1.0)])
def test_projection_recovers_a_generated_w(stylegan, space, layer_weight):
    w_true, x = generated_w(stylegan, SEED)
    start = project(stylegan, x, space=space, steps=0, progress=False)  # the start: w_avg
    torch.testing.assert_close(start.latent, average_w(stylegan).expand_as(start.latent))
    res = project(stylegan, x, space=space, steps=150, layer_weight=layer_weight, progress=False)
    shape = (1, 128) if space == "w" else (1, stylegan.num_ws, 128)
    assert res.space == space and tuple(res.latent.shape) == shape
    assert res.steps == 150 and not res.stopped_early and len(res.history) == 150
    # seeds 1–8, 150 steps: the pixel MSE falls to ≤ 0.9 % of the start's (w and w+)
    assert res.loss < 0.03 * start.loss
    # ... and the error in w to ≤ 0.89× (w) / 0.90× (w+, with the layer prior) the start's
    assert w_error(res.latent, w_true) < 0.95 * w_error(start.latent, w_true)
    with torch.no_grad():  # the reconstruction is the returned latent's image
        ws = res.latent.expand(stylegan.num_ws, -1)[None] if space == "w" else res.latent
        torch.testing.assert_close(stylegan.synthesis(ws), res.image)


def test_projection_in_z_recovers_a_dcgan_latent(dcgan):
    z_true = dcgan.sample_latent(1, torch.Generator().manual_seed(SEED))
    with torch.no_grad():
        x = dcgan.decode(z_true)
    start = project(dcgan, x, steps=0, progress=False)  # the best of 16 random z
    res = project(dcgan, x, steps=300, progress=False)
    assert res.space == "z" and tuple(res.latent.shape) == (1, 100) and res.steps == 300
    with torch.no_grad():
        torch.testing.assert_close(dcgan.decode(res.z), res.image)
    # seeds 1–8, 300 steps: pixel MSE ≤ 0.6 % of the start's, z error ≤ 0.98× the start's
    assert res.loss < 0.02 * start.loss
    assert float((res.z - z_true).norm()) < 0.99 * float((start.z - z_true).norm())


def test_models_without_w_space_refuse_w(dcgan):
    x = torch.zeros(1, *dcgan.image_shape)
    for space in ("w", "w+"):
        with pytest.raises(CapabilityError, match=r"dcgan-mnist.*no w space"):
            project(dcgan, x, space=space, progress=False)
    with pytest.raises(CapabilityError, match="unknown latent space"):
        check_space(dcgan, "s")


def test_feature_loss_uses_the_registry_extractor(stylegan, digits):
    _, x = generated_w(stylegan, SEED)
    f = feature_function(digits, x)  # the registry's features run under no_grad: undone here
    assert f(x.clone().requires_grad_(True)).requires_grad
    start = project(stylegan, x, space="w+", steps=0, features=digits, progress=False)
    res = project(stylegan, x, space="w+", steps=50, features=digits, progress=False)
    assert res.feature_weight == 0.03 and start.feature_loss is not None
    assert res.feature_loss is not None and res.feature_loss < 0.2 * start.feature_loss
    assert res.loss < 0.1 * start.loss
    assert res.total_loss == pytest.approx(res.loss + 0.03 * res.feature_loss)
    assert all(p.grad is None for p in digits.net.parameters())  # the extractor is untouched


def test_time_budget_stops_early(stylegan):
    _, x = generated_w(stylegan, SEED)
    res = project(stylegan, x, space="w", steps=10_000, time_budget=0.0, progress=False)
    assert res.steps == 1 and res.stopped_early


def test_average_w_without_a_tracked_one(stylegan):
    model = copy.deepcopy(stylegan)
    model.G.w_avg.zero_()  # never tracked: the mean of mapping(z) over 2048 z instead
    w = average_w(model)
    with torch.no_grad():
        z = model.sample_latent(2048, torch.Generator().manual_seed(0))
        torch.testing.assert_close(w, model.mapping(z)[:, 0].mean(0))
    tracked = average_w(stylegan)
    assert float((w - tracked).norm()) < 0.15 * float(tracked.norm())  # measured: 0.058×


def write_png(x: torch.Tensor, path) -> None:
    arr = ((x[0, 0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
    Image.fromarray(arr, "L").save(path)


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_OFFLINE", "1")


def test_cli_project_in_w_plus_writes_the_strip_and_the_latent(stylegan, tmp_path, cli_env):
    from genzoo.cli import cli
    from genzoo.images import read_images

    img, out = tmp_path / "digit.png", tmp_path / "out.png"
    write_png(stylegan.sample(1, seed=SEED), img)
    args = ["project", "stylegan-mnist", str(img), "--space", "w+", "--steps", "50", "-o", str(out)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "w+ latent (1×6×128)" in res.output and "after 50 steps" in res.output
    assert "feature MSE" in res.output  # the digits extractor fits 32×32 grey: λ 0.03
    with Image.open(out) as strip:
        assert strip.width > 1.8 * strip.height  # target | reconstruction
    latent = torch.from_numpy(np.load(tmp_path / "out.npy"))
    assert latent.shape == (1, stylegan.num_ws, 128)
    target = read_images([img], stylegan.image_shape)
    with torch.no_grad():
        mse = float(((stylegan.synthesis(latent) - target) ** 2).mean())
        w_avg = average_w(stylegan).view(1, 1, -1).expand(1, stylegan.num_ws, -1)
        mse0 = float(((stylegan.synthesis(w_avg) - target) ** 2).mean())
    assert mse < 0.1 * mse0


def test_cli_project_defaults_to_z_without_w_space(dcgan, tmp_path, cli_env):
    from genzoo.cli import cli

    img, out = tmp_path / "digit.png", tmp_path / "p.png"
    write_png(dcgan.sample(1, seed=SEED), img)
    args = ["project", "dcgan-mnist", str(img), "--steps", "1000", "--seconds", "0.5"]
    args += ["-o", str(out), "--npy", str(tmp_path / "z"), "--no-progress"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "z latent (1×100)" in res.output and "time budget" in res.output
    assert np.load(tmp_path / "z.npy").shape == (1, 100) and out.is_file()
    res = CliRunner().invoke(cli, ["project", "dcgan-mnist", str(img), "--space", "w"])
    assert res.exit_code == 1 and "no w space" in res.output
