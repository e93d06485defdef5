"""Latent tools: interpolation, directions, projection, determinism."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from genzoo import latent
from genzoo.projection import project
from tests.toy import toy_plugin
from tests.toy.specs import TOY


def test_slerp_keeps_norms_and_endpoints():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1, 64, generator=g), torch.randn(1, 64, generator=g)
    b = b / b.norm() * a.norm()
    t = torch.linspace(0, 1, 9)
    path = latent.slerp(a.expand(9, -1), b.expand(9, -1), t)
    torch.testing.assert_close(path.norm(dim=1), a.norm().expand(9), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(path[0], a[0])
    torch.testing.assert_close(path[-1], b[0], rtol=1e-5, atol=1e-5)
    lerp_mid = latent.lerp(a, b, 0.5)
    assert lerp_mid.norm() < a.norm()  # lerp shrinks, slerp does not


def test_path_through_points():
    pts = torch.eye(3)
    p = latent.path(pts, 5)
    assert len(p) == 9
    torch.testing.assert_close(p[4], pts[1])
    torch.testing.assert_close(p[-1], pts[2])


def test_truncation_and_arithmetic():
    z = torch.ones(2, 3)
    assert torch.equal(latent.truncate(z, 0.0), torch.zeros(2, 3))
    c = torch.full((3,), 0.5)
    assert torch.equal(latent.truncate(z, 0.0, c), c.expand(2, 3))
    assert torch.equal(latent.arithmetic(z, z, c.expand(2, 3)), c.expand(2, 3))


def test_sefa_directions_are_eigenvectors():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20, 6, generator=g, dtype=torch.float64)
    dirs, vals = latent.sefa_directions(a, 3)
    m = a.T @ a
    for d, v in zip(dirs, vals, strict=True):
        torch.testing.assert_close(m @ d, v * d, rtol=1e-8, atol=1e-8)
        assert d.norm().item() == pytest.approx(1.0)
    assert vals[0] >= vals[1] >= vals[2]


def test_pca_directions_recover_a_dominant_axis():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(500, 5, generator=g)
    feats = torch.stack([10 * z[:, 2], 0.1 * z[:, 0]], 1)  # features dominated by z[:, 2]
    dirs, var = latent.pca_directions(z, feats, 2)
    assert abs(dirs[0, 2]) > 0.99 and var[0] > var[1]


def test_linear_boundary_finds_the_separating_axis():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(400, 4, generator=g)
    y = (z[:, 1] > 0.2).long()
    n = latent.linear_boundary(z, y)
    assert n[1] > 0.95


@pytest.fixture
def toy(make_zoo):
    zoo = make_zoo(("toy", toy_plugin))
    torch.manual_seed(0)
    spec = copy.deepcopy(TOY)
    spec["latent"] = {"dim": 3}
    spec["arch"] = {"hidden": 32}
    return zoo.build(spec)


def test_projection_recovers_a_generated_latent(toy):
    g = torch.Generator().manual_seed(5)
    z_true = toy.sample_latent(1, g) * 0.5
    with torch.no_grad():
        target = toy.decode(z_true)
    res = project(toy, target, steps=400, lr=0.05, starts=32)
    assert res.loss < 1e-4
    with torch.no_grad():
        torch.testing.assert_close(toy.decode(res.z), target, atol=0.02, rtol=0)


def test_same_seed_same_image(toy):
    assert torch.equal(toy.sample(4, seed=11), toy.sample(4, seed=11))


def test_directions_are_resolved_by_name_not_position(tmp_path):
    import shutil

    import genzoo_zoo
    from genzoo import directions
    from genzoo.errors import CapabilityError
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo

    folder = tmp_path / "dcgan-mnist"
    shutil.copytree(Path(genzoo_zoo.__file__).parent / "dcgan-mnist", folder)
    dirs = torch.eye(3, 100)
    # class 1 had too few samples for a boundary: the rows are classes 0, 2 and 7
    directions.save(folder, "boundary", dirs, ["boundary:0", "boundary:2", "boundary:7"], {})
    zoo = Zoo(settings=Settings(store_dir=tmp_path / "s", cache_dir=tmp_path / "c"))
    assert torch.equal(directions.resolve(zoo, folder, "boundary:7"), dirs[2])
    with pytest.raises(CapabilityError, match="no direction 'boundary:1'"):
        directions.resolve(zoo, folder, "boundary:1")
