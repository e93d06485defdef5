"""NVIDIA-format pickle → ``genzoo convert --from nvlabs`` → entry → samples, against the reference.

This closes the loop the other StyleGAN2 tests leave open: ``test_equivalence`` compares genzoo's
generator with :mod:`tests.stylegan2.reference` on genzoo's own state dict, ``test_nvpickle``
compares the converted entry with the genzoo module the fixture pickled. Here the *pickle file*
is the only thing the two sides share:

* :mod:`tests.stylegan2.nvfixture` writes a tiny network (random weights, every term non-zero)
  as ``G_ema`` of an NVIDIA snapshot, blocks NVIDIA would run in fp16 marked ``use_fp16``;
* genzoo's side converts the file through the command line (``genzoo convert --from nvlabs``),
  loads the entry folder as a user's entry is loaded, and samples with ``model.sample`` /
  ``model.mapping`` (noise const, truncation ψ ∈ {1, 0.7});
* the reference's side reads the same file back with a plain unpickler of this module (torch's
  own tensor rebuilders; NVIDIA's persistence and ``EasyDict`` mapped to inert stand-ins, not
  genzoo's reader), takes ``G_ema``'s tensors and recorded constructor arguments as the fixture
  wrote them, and runs the float64 re-statement of NVIDIA's generator.

Outputs and ``w`` must agree within 1e-4 (max abs).
"""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

import genzoo_plugins.gan as gan
import genzoo_plugins.stylegan2 as stylegan2
from genzoo.cli import cli
from genzoo_plugins.stylegan2.networks import Generator
from tests.stylegan2 import nvfixture as nf
from tests.stylegan2 import reference as ref

PLUGINS = [("stylegan2", stylegan2), ("gan", gan)]
TOL = 1e-4
N = 3  # samples per case
SEED = 123
PSIS = (1.0, 0.7)
_NP_CORE = getattr(np, "_core", None) or np.core  # numpy 2 / 1.x


_kwargs = nf.tiny_kwargs


# name: (genzoo kwargs, NVIDIA kwargs layout, pickle protocol)
CASES = {
    "skip16": (_kwargs(), "ada", 4),
    "resnet32-cond": (
        _kwargs(
            c_dim=3,
            img_resolution=32,
            channel_base=128,
            architecture="resnet",
            mapping={"num_layers": 3, "embed_features": 6, "layer_features": 12},
        ),
        "ada",
        3,
    ),
    # NVIDIA's usual fp16 set-up: the last num_fp16_res resolutions in fp16, convs clamped
    # (here at ±0.5, so that the clamp bites in conv and ToRGB layers; 256 never would).
    "resnet16-fp16-clamp": (
        _kwargs(architecture="resnet", num_fp16_res=2, conv_clamp=0.5),
        "ada",
        4,
    ),
    # 64²: genzoo's per-sample modulated weights (PER_SAMPLE_PIXELS) run in the last block
    "skip64-cond-fp16-clamp": (
        _kwargs(
            c_dim=2,
            img_resolution=64,
            channel_base=256,
            num_fp16_res=4,
            conv_clamp=0.5,
            mapping={"lr_multiplier": 0.02, "w_avg_beta": 0.99},
        ),
        "sg3",
        4,
    ),
}


# -- the fixture network ------------------------------------------------------------------------
def _random_generator(kw: dict[str, Any], seed: int) -> Generator:
    """A genzoo Generator (NVIDIA's module tree) with every tensor random except the FIR filters,
    scaled so that activations stay O(1) and most pixels of the image inside (-1, 1)."""
    torch.manual_seed(seed)
    G = Generator(**kw).eval().requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)
    lr = kw["mapping_kwargs"]["lr_multiplier"]

    def randn(shape: Any) -> torch.Tensor:
        return torch.randn(shape, generator=gen)

    for name, t in G.state_dict().items():
        shape = t.shape
        if name.endswith("resample_filter"):
            continue
        if re.fullmatch(r"mapping\.fc\d+\.weight", name):
            v = randn(shape) / lr
        elif re.fullmatch(r"mapping\.fc\d+\.bias", name):
            v = 0.3 * randn(shape) / lr
        elif name.endswith("affine.bias"):
            v = 1.0 + 0.3 * randn(shape)
        elif name.endswith("noise_strength"):
            v = (0.2 + 0.4 * torch.rand((), generator=gen)) * (-1) ** int(seed + len(name))
        elif name.endswith(("torgb.weight", ".bias")):  # small ToRGB: images mostly in (-1, 1)
            v = 0.3 * randn(shape)
        elif name == "mapping.w_avg" or name.endswith((".weight", "noise_const", ".const")):
            v = randn(shape)
        else:
            raise AssertionError(f"unexpected tensor {name}")
        t.copy_(v)
    return G


def _mark_fp16(G: Generator, kw: dict[str, Any]) -> None:
    """The attributes NVIDIA's SynthesisNetwork.__init__ gives its blocks: ``use_fp16`` for
    resolutions ≥ max(2 ** (log2(res) + 1 - num_fp16_res), 8), ``channels_last`` False."""
    log2 = kw["img_resolution"].bit_length() - 1
    fp16_resolution = max(2 ** (log2 + 1 - kw["num_fp16_res"]), 8)
    for res in G.synthesis.block_resolutions:
        block = getattr(G.synthesis, f"b{res}")
        block.use_fp16 = kw["num_fp16_res"] > 0 and res >= fp16_resolution
        block.channels_last = False


# -- the pickle, read back for the reference ---------------------------------------------------
class _Persistent:
    """What an NVIDIA persistent object holds: its class name and ``nn.Module.__dict__``."""

    def __init__(self, meta: dict[str, Any]) -> None:
        assert meta["type"] == "class" and meta["version"] == 6
        self.class_name: str = meta["class_name"]
        self.state: dict[str, Any] = meta["state"]


class _TestUnpickler(pickle.Unpickler):
    """Reads the fixture's (trusted) file: NVIDIA's persistence and EasyDict as stand-ins, numpy
    scalars of either spelling by the installed numpy, tensors by torch itself."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch_utils.persistence", "_reconstruct_persistent_obj"):
            return _Persistent
        if (module, name) == ("dnnlib.util", "EasyDict"):
            return dict
        if (module, name) in (
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
        ):
            return _NP_CORE.multiarray.scalar
        return super().find_class(module, name)


def _flat_tensors(obj: _Persistent, prefix: str = "") -> dict[str, torch.Tensor]:
    """``state_dict()`` of a persistent module tree: parameters, persistent buffers, children."""
    st = obj.state
    out: dict[str, torch.Tensor] = {}
    for name, p in st["_parameters"].items():
        if p is not None:
            out[prefix + name] = p.detach()
    skip = st.get("_non_persistent_buffers_set", set())
    for name, b in st["_buffers"].items():
        if b is not None and name not in skip:
            out[prefix + name] = b
    for name, child in st["_modules"].items():
        if child is not None:
            out.update(_flat_tensors(child, f"{prefix}{name}."))
    return out


def _reference_kwargs(init_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """NVIDIA's ``Generator(z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs,
    synthesis_kwargs)`` (stylegan2-ada-pytorch) or with the synthesis arguments at top level
    (stylegan3 repo) as the flat dict :mod:`reference` takes; omitted ones keep NVIDIA's
    defaults there."""
    kw = dict(init_kwargs)
    syn = kw.pop("synthesis_kwargs", {})
    kw.update(syn)
    kw["mapping_kwargs"] = dict(kw.get("mapping_kwargs") or {})
    return kw


def _read_back(path: Any) -> tuple[_Persistent, dict[str, torch.Tensor], dict[str, Any]]:
    with open(path, "rb") as f:
        data = _TestUnpickler(io.BytesIO(f.read())).load()
    g_ema = data["G_ema"]
    assert isinstance(g_ema, _Persistent) and g_ema.class_name == "Generator"
    assert g_ema.state["_init_args"] == ()
    return g_ema, _flat_tensors(g_ema), _reference_kwargs(g_ema.state["_init_kwargs"])


# -- the cases ----------------------------------------------------------------------------------
def _err(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a.double() - b.double()).abs().max().item()


@pytest.mark.parametrize("case", list(CASES))
def test_converted_pickle_matches_reference(case, make_zoo, tmp_path, monkeypatch):
    kw, layout, protocol = CASES[case]
    G = _random_generator(kw, seed=sorted(CASES).index(case) + 1)
    _mark_fp16(G, kw)
    path = nf.write_nvlabs_pickle(
        tmp_path / "network-snapshot.pkl",
        G,
        kw,
        layout=layout,
        protocol=protocol,
        G=_random_generator(kw, seed=99),  # the trained G differs: only G_ema may be used
    )
    del G

    # genzoo's side: the public path, as a user converts and loads an entry
    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_OFFLINE", "1")
    out = tmp_path / "entry"
    res = CliRunner().invoke(cli, ["convert", "--from", "nvlabs", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    model = make_zoo(*PLUGINS).load(out)

    # the reference's side: the file itself
    g_ema, params, rkw = _read_back(path)
    assert rkw["img_resolution"] == kw["img_resolution"]
    if kw["num_fp16_res"]:  # the fixture marked the blocks as NVIDIA does
        blocks = g_ema.state["_modules"]["synthesis"].state["_modules"]
        marks = {name: block.state["use_fp16"] for name, block in blocks.items()}
        assert any(marks.values()) and not all(marks.values()), marks
    c_dim = rkw["c_dim"]
    assert model.num_classes == c_dim and model.num_ws == ref.num_ws(rkw)
    # names map one-to-one
    assert set(model.G.state_dict()) == set(params)

    z = torch.randn(N, rkw["z_dim"], generator=torch.Generator().manual_seed(SEED))
    assert torch.equal(z, model.sample_latent(N, torch.Generator().manual_seed(SEED)))
    labels = torch.arange(N) % c_dim if c_dim else None
    c = F.one_hot(labels, c_dim).double() if c_dim else None

    errors: dict[str, float] = {}
    refs: dict[float, torch.Tensor] = {}
    p = ref.ParamReader(params)
    record: list[tuple[str, int]] = []
    with torch.no_grad():
        for psi in PSIS:
            w_ref = ref.reference_mapping(p, rkw, z, c, psi=psi)
            errors[f"w psi={psi}"] = _err(model.mapping(z, psi, labels), w_ref)
            img_ref = ref.reference_generator(
                p, rkw, z, c, psi=psi, noise_mode="const", record=record
            )
            refs[psi] = img_ref
            img = model.sample(N, seed=SEED, labels=labels, truncation=psi)
            errors[f"sample psi={psi}"] = _err(img, img_ref.clamp(-1, 1))
            # model.sample clamps to [-1, 1]: the generator itself, unclamped, too
            raw = model.G(z, c, truncation_psi=psi, noise_mode="const")
            errors[f"G psi={psi}"] = _err(raw, img_ref)
            # most pixels inside (-1, 1), so the sample comparison is not vacuous
            inside = (img_ref.abs() < 0.99).double().mean().item()
            assert inside > 0.7, f"{case}: only {inside:.0%} of the pixels inside (-1, 1)"
    worst = max(errors.values())
    print(f"{case}: max abs errors {errors}")
    assert worst < TOL, f"{case}: errors {errors}"

    # the reference read every tensor of G_ema, and each term matters
    assert p.used == set(params), set(params) ^ p.used
    assert _err(refs[1.0], refs[0.7]) > 1e-2
    with torch.no_grad():
        none = ref.reference_generator(p, rkw, z, c, psi=0.7, noise_mode="none")
    assert _err(none, refs[0.7]) > 1e-2
    if rkw["conv_clamp"] is not None:
        clamped = {name for name, n in record if n}
        kinds = {name.rsplit(".", 1)[-1] for name in clamped}
        assert {"conv1", "torgb"} <= kinds, clamped
        unclamped = ref.reference_generator(p, {**rkw, "conv_clamp": None}, z, c, psi=0.7)
        assert _err(unclamped, refs[0.7]) > 1e-2


def test_reader_of_this_test_sees_what_nvidia_records(tmp_path):
    """The read-back is not a mirror of the fixture's input: kwargs come back in NVIDIA's
    layouts (nested EasyDicts or synthesis arguments at top level), numpy float64 gains."""
    kw = _kwargs(c_dim=2, num_fp16_res=1, conv_clamp=256)
    G = _random_generator(kw, seed=5)
    for layout, protocol in (("ada", 3), ("sg3", 4)):
        path = nf.write_nvlabs_pickle(
            tmp_path / f"{layout}.pkl", G, kw, layout=layout, protocol=protocol
        )
        g_ema, params, rkw = _read_back(path)
        raw = g_ema.state["_init_kwargs"]
        assert ("synthesis_kwargs" in raw) == (layout == "ada")
        assert rkw["conv_clamp"] == 256 and rkw["num_fp16_res"] == 1
        fc0 = g_ema.state["_modules"]["mapping"].state["_modules"]["fc0"].state
        assert type(fc0["weight_gain"]) is np.float64
        want = G.state_dict()
        assert set(params) == set(want)
        assert all(torch.equal(params[k], want[k]) for k in want)
