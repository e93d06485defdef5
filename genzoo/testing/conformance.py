"""Conformance tests every family inherits.

Usage in a plugin's tests::

    from genzoo.testing.conformance import FamilyConformance
    import my_plugin

    class TestMyFamily(FamilyConformance):
        plugins = [("my_plugin", my_plugin)]
        spec = {"name": "t", "family": "mine", "data": {"channels": 1, "size": 16},
                "latent": {"dim": 8}, "arch": {...}, "training": {"batch_size": 8}}

``plugins`` must include whatever the spec's losses need. Override ``make_data`` for data that
is not images. Each test builds tiny models, so the suite stays fast.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

import pytest


class FamilyConformance:
    """Build, sample, determinism, training steps, safetensors round trip, strict weights."""

    plugins: ClassVar[list[tuple[str, Any]]] = []
    spec: ClassVar[dict[str, Any]] = {}
    train_steps: ClassVar[int] = 2
    data_size: ClassVar[int] = 32

    # -- helpers -------------------------------------------------------------------------------
    @pytest.fixture
    def zoo(self, make_zoo: Any) -> Any:
        return make_zoo(*self.plugins)

    @pytest.fixture
    def model(self, zoo: Any) -> Any:
        import torch

        torch.manual_seed(0)
        return zoo.build(copy.deepcopy(self.spec))

    def make_data(self, model: Any) -> Any:
        """Random data of the model's shape (labels when conditional)."""
        import torch

        from genzoo.data import ArrayDataset

        g = torch.Generator().manual_seed(0)
        x = torch.rand(self.data_size, *model.image_shape, generator=g) * 2 - 1
        y = None
        if model.num_classes:
            y = torch.randint(0, model.num_classes, (self.data_size,), generator=g)
        return ArrayDataset(x, y)

    def sample_kwargs(self, model: Any) -> dict[str, Any]:
        return {}

    # -- tests ---------------------------------------------------------------------------------
    def test_build_networks(self, model: Any) -> None:
        assert model.networks, "a model must have named networks"
        for name in model.sampling_networks:
            assert name in model.networks, f"sampling network {name!r} missing"
        keys = model.state_dict().keys()
        assert all(k.split(".")[0] in model.networks for k in keys)

    def test_sample_shape_and_range(self, model: Any) -> None:
        x = model.sample(3, seed=1, **self.sample_kwargs(model))
        if model.spec.data.kind == "image":
            assert tuple(x.shape) == (3, *model.image_shape)
            assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0
        assert bool(x.isfinite().all())

    def test_sample_is_deterministic(self, model: Any) -> None:
        import torch

        a = model.sample(2, seed=7, **self.sample_kwargs(model))
        b = model.sample(2, seed=7, **self.sample_kwargs(model))
        c = model.sample(2, seed=8, **self.sample_kwargs(model))
        assert torch.equal(a, b)
        assert not torch.equal(a, c)

    def test_trains_a_few_steps(self, zoo: Any, model: Any, tmp_path: Path) -> None:
        import torch

        from genzoo.train.trainer import Trainer

        before = {k: v.clone() for k, v in model.state_dict().items()}
        data = self.make_data(model)
        trainer = Trainer(
            model, data, zoo.registries, tmp_path / "run", steps=self.train_steps, progress=False
        )
        result = trainer.run()
        assert result.steps == self.train_steps
        assert all(torch.isfinite(torch.tensor(v)) for v in result.last_metrics.values())
        changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
        for name in model.sampling_networks:
            if any(True for _ in model.networks[name].parameters()):
                assert any(k.startswith(f"{name}.") for k in changed), f"{name} did not train"

    def test_safetensors_round_trip(self, zoo: Any, model: Any, tmp_path: Path) -> None:
        import torch

        from genzoo.weights import load_model_weights, save_model_weights

        path = tmp_path / "model.safetensors"
        save_model_weights(model, path)
        other = zoo.build(copy.deepcopy(self.spec))
        load_model_weights(other, path)
        kw = self.sample_kwargs(model)
        assert torch.equal(model.sample(2, seed=3, **kw), other.sample(2, seed=3, **kw))

    def test_mismatched_weights_name_the_tensor(self, model: Any, tmp_path: Path) -> None:
        from genzoo.errors import WeightsError
        from genzoo.weights import load_model_weights, save_tensors

        state = model.sampling_state_dict()
        first = next(iter(state))
        broken = dict(state)
        broken[first] = broken[first].flatten()[:1].clone()
        path = tmp_path / "bad.safetensors"
        save_tensors(broken, path)
        if tuple(state[first].shape) != (1,):
            with pytest.raises(WeightsError, match=first.replace(".", r"\.")):
                load_model_weights(model, path)
        del broken[first]
        save_tensors(broken, path)
        with pytest.raises(WeightsError, match="missing"):
            load_model_weights(model, path)
