"""NVIDIA-format network pickles of tiny networks, written without NVIDIA's code.

NVlabs' ``training_loop.py`` pickles ``{"training_set_kwargs", "G", "D", "G_ema",
"augment_pipe"}``; every network is an instance of a ``torch_utils.persistence`` class whose
``__reduce__`` returns ``(_reconstruct_persistent_obj, (meta,))`` with ``meta = {"type":
"class", "version": 6, "module_src": <networks.py source>, "class_name": ..., "state":
<the nn.Module __dict__ with _init_args / _init_kwargs>}``. This module reproduces that byte
format around genzoo's own modules (whose class names, attributes and tensors are NVIDIA's):
each module of the tree is wrapped in an object with that ``__reduce__``, and the modules
``torch_utils.persistence`` and ``dnnlib.util`` (``EasyDict``) are faked in ``sys.modules``
only while pickling. Tensors are pickled by torch itself (``_rebuild_tensor_v2``,
``_rebuild_parameter``, ``_load_from_bytes`` with a legacy ``torch.save`` blob), exactly as
NVIDIA's files hold them.

Protocol 3 files spell numpy scalars ``numpy.core.multiarray.scalar`` (numpy 1.x, as the
official ``ffhq.pkl``) and pickle sets through ``builtins.set``; protocol 4 files use numpy 2's
``numpy._core.multiarray.scalar``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import pickle
import pickletools
import sys
import types
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

FAKE_MODULE_SRC = (
    "# networks.py of a NVIDIA-format test fixture: text only, a reader must never run it\n"
    "raise RuntimeError('this source was executed')\n"
)
_FAKE_MODULES = ("dnnlib", "dnnlib.util", "torch_utils", "torch_utils.persistence")
_FAKE_TF_MODULES = ("dnnlib.tflib", "dnnlib.tflib.network")


class EasyDict(dict):  # type: ignore[type-arg]
    """``dnnlib.util.EasyDict`` as NVIDIA defines it: a dict with attribute access."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]


EasyDict.__module__ = "dnnlib.util"


def _reconstruct_persistent_obj(meta: Any) -> Any:
    raise RuntimeError("the fixture's persistence module is for pickling only")


_reconstruct_persistent_obj.__module__ = "torch_utils.persistence"


class Network:
    """``dnnlib.tflib.network.Network`` of the TensorFlow StyleGAN releases (state only)."""

    def __init__(self, name: str, build_module_src: str) -> None:
        self.state = {
            "version": 4,
            "name": name,
            "static_kwargs": {"resolution": 16, "num_channels": 3},
            "components": {},
            "build_module_src": build_module_src,
            "build_func_name": f"{name}_main",
            "variables": [("weight", np.zeros((2, 2), np.float32))],
        }

    def __getstate__(self) -> dict[str, Any]:
        return self.state


Network.__module__ = "dnnlib.tflib.network"


@contextlib.contextmanager
def fake_nvidia_modules(tf: bool = False) -> Iterator[None]:
    """``dnnlib.util`` and ``torch_utils.persistence`` (with ``tf``: ``dnnlib.tflib.network``)
    importable while pickling; afterwards ``sys.modules`` is as it was."""
    names = _FAKE_MODULES + (_FAKE_TF_MODULES if tf else ())
    saved = {name: sys.modules.get(name) for name in names}
    mods = {name: types.ModuleType(name) for name in names}
    if tf:
        mods["dnnlib"].tflib = mods["dnnlib.tflib"]  # type: ignore[attr-defined]
        mods["dnnlib.tflib"].network = mods["dnnlib.tflib.network"]  # type: ignore[attr-defined]
        mods["dnnlib.tflib.network"].Network = Network  # type: ignore[attr-defined]
    mods["dnnlib"].util = mods["dnnlib.util"]  # type: ignore[attr-defined]
    mods["dnnlib.util"].EasyDict = EasyDict  # type: ignore[attr-defined]
    mods["torch_utils"].persistence = mods["torch_utils.persistence"]  # type: ignore[attr-defined]
    persistence = mods["torch_utils.persistence"]
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj  # type: ignore[attr-defined]
    sys.modules.update(mods)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old


class Persistent:
    """Pickles like an instance of an NVIDIA ``@persistent_class`` (persistence version 6)."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reconstruct_persistent_obj, (self.meta,), None)


def persistent(
    module: nn.Module,
    init_kwargs: dict[str, Any] | None = None,
    *,
    class_name: str | None = None,
    src: str = FAKE_MODULE_SRC,
) -> Persistent:
    """Wrap ``module`` and its children as NVIDIA persistent objects (state = ``__dict__``)."""
    state = dict(module.__dict__)
    state["_modules"] = OrderedDict(
        (name, None if child is None else persistent(child, src=src))
        for name, child in module._modules.items()
    )
    for key in ("weight_gain",):  # NVIDIA computes these with numpy: np.float64 scalars
        if isinstance(state.get(key), float):
            state[key] = np.float64(state[key])
    state["_init_args"] = ()
    state["_init_kwargs"] = copy.deepcopy(init_kwargs) if init_kwargs is not None else {}
    meta = {
        "type": "class",
        "version": 6,
        "module_src": src,
        "class_name": class_name or type(module).__name__,
        "state": state,
    }
    return Persistent(meta)


def tiny_kwargs(**over: Any) -> dict[str, Any]:
    """genzoo's flat ``Generator`` kwargs of a tiny 16² network (``mapping={...}`` updates
    ``mapping_kwargs``, other keys replace); :func:`nvidia_kwargs` gives NVIDIA's layout."""
    kw: dict[str, Any] = {
        "z_dim": 8,
        "c_dim": 0,
        "w_dim": 8,
        "img_resolution": 16,
        "img_channels": 3,
        "mapping_kwargs": {
            "num_layers": 2,
            "lr_multiplier": 0.01,
            "layer_features": None,
            "embed_features": None,
            "w_avg_beta": 0.995,
        },
        "channel_base": 64,
        "channel_max": 8,
        "num_fp16_res": 0,
        "conv_clamp": None,
        "architecture": "skip",
        "resample_filter": [1, 3, 3, 1],
        "use_noise": True,
    }
    kw["mapping_kwargs"].update(over.pop("mapping", {}))
    kw.update(over)
    return kw


def nvidia_kwargs(kwargs: dict[str, Any], layout: str = "ada") -> dict[str, Any]:
    """NVIDIA's recorded ``Generator`` kwargs for genzoo's flat ``Generator(**kwargs)`` call.

    ``ada``: stylegan2-ada-pytorch (``mapping_kwargs`` and ``synthesis_kwargs`` EasyDicts, as
    ``train.py`` fills them: channel_base, channel_max, num_fp16_res, conv_clamp always, the
    rest only when not NVIDIA's default). ``sg3``: the stylegan3 repo's ``networks_stylegan2``
    (synthesis arguments at top level, plus ``fused_modconv_default``). ``raw``: as given.
    The top-level dict is a plain dict, as the persistence decorator records ``**kwargs``.
    """
    if layout == "raw":
        return dict(kwargs)
    kw = dict(kwargs)
    top = {k: kw.pop(k) for k in ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels")}
    mapping = dict(kw.pop("mapping_kwargs", None) or {})
    defaults = {"architecture": "skip", "resample_filter": [1, 3, 3, 1], "use_noise": True}
    syn = EasyDict()
    for k in ("channel_base", "channel_max", "num_fp16_res", "conv_clamp"):
        syn[k] = kw.pop(k, {"channel_base": 32768, "channel_max": 512, "num_fp16_res": 0}.get(k))
    for k, v in kw.items():
        if defaults.get(k, object()) != v:
            syn[k] = v
    m_defaults = {"lr_multiplier": 0.01, "layer_features": None, "embed_features": None}
    m_defaults["w_avg_beta"] = 0.995
    mapping_kw = EasyDict(num_layers=mapping.pop("num_layers", 8))
    for k, v in mapping.items():
        if m_defaults.get(k, object()) != v:
            mapping_kw[k] = v
    if layout == "ada":
        return {**top, "mapping_kwargs": mapping_kw, "synthesis_kwargs": syn}
    if layout == "sg3":
        return {
            **top,
            "mapping_kwargs": mapping_kw,
            **syn,
            "fused_modconv_default": "inference_only",
        }
    raise ValueError(f"unknown layout {layout!r}")


def snapshot(
    G_ema: nn.Module,
    init_kwargs: dict[str, Any],
    *,
    layout: str = "ada",
    G: nn.Module | None = None,
    D: nn.Module | None = None,
    extra: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The snapshot dict training_loop.py pickles, networks wrapped as persistent objects."""
    nv = nvidia_kwargs(init_kwargs, layout)

    def prep(m: nn.Module) -> nn.Module:
        return copy.deepcopy(m).eval().requires_grad_(False).cpu()

    data: dict[str, Any] = {
        "training_set_kwargs": {
            "class_name": "training.dataset.ImageFolderDataset",
            "path": "datasets/tiny.zip",
            "use_labels": bool(nv.get("c_dim")),
            "max_size": 10,
            "xflip": False,
            "resolution": nv.get("img_resolution"),
        },
        "G": persistent(prep(G if G is not None else G_ema), nv),
        "D": None if D is None else persistent(prep(D), {"c_dim": nv.get("c_dim")}),
        "G_ema": persistent(prep(G_ema), nv),
        "augment_pipe": None,
    }
    data.update(extra or {})
    for key in drop:
        data.pop(key, None)
    return data


def _np1_scalar(*args: Any) -> Any:  # pickled as numpy.core.multiarray.scalar
    raise RuntimeError("for pickling only")


class NVPickler(pickle._Pickler):  # type: ignore[misc,name-defined]
    """Pure-Python pickler that can spell numpy scalars the numpy 1.x way."""

    def __init__(self, f: Any, protocol: int, numpy1: bool) -> None:
        super().__init__(f, protocol=protocol)
        self.numpy1 = numpy1

    def reducer_override(self, obj: Any) -> Any:
        if self.numpy1 and isinstance(obj, np.generic):
            return (_np1_scalar, (obj.dtype, obj.tobytes()))
        return NotImplemented

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if obj is not _np1_scalar:
            super().save_global(obj, name)
            return
        if self.proto >= 4:
            self.save("numpy.core.multiarray")
            self.save("scalar")
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\nscalar\n")
        self.memoize(obj)


# the pure-Python pickler dispatches functions straight to its own save_global
NVPickler.dispatch = {**pickle._Pickler.dispatch, types.FunctionType: NVPickler.save_global}  # type: ignore[attr-defined]


def dump(
    obj: Any,
    path: str | Path,
    *,
    protocol: int = 4,
    numpy1: bool | None = None,
    pickler: type[Any] | None = None,
) -> Path:
    """Pickle ``obj`` (with the fake NVIDIA modules importable) to ``path``.

    ``pickler``: a subclass of this module's pickler (e.g. one with ``persistent_id``).
    """
    path = Path(path)
    buf = io.BytesIO()
    with fake_nvidia_modules(tf=True):
        cls = pickler or NVPickler
        cls(buf, protocol, protocol <= 3 if numpy1 is None else numpy1).dump(obj)
    path.write_bytes(buf.getvalue())
    return path


def write_nvlabs_pickle(
    path: str | Path,
    G_module: nn.Module,
    init_kwargs: dict[str, Any],
    *,
    protocol: int = 4,
    layout: str = "ada",
    extra: dict[str, Any] | None = None,
    G: nn.Module | None = None,
    D: nn.Module | None = None,
    drop: tuple[str, ...] = (),
    numpy1: bool | None = None,
    pickler: type[Any] | None = None,
) -> Path:
    """Write ``G_module`` as ``G_ema`` of an NVIDIA snapshot pickle.

    Args:
        init_kwargs: genzoo's flat ``Generator`` kwargs (converted to NVIDIA's ``layout``,
            see :func:`nvidia_kwargs`).
        protocol: 4 (numpy 2 scalars) or 3 (numpy 1 spelling, ``builtins.set``).
        extra: more snapshot keys (or replacements of G, D, G_ema...).
        G, D: the trained generator (default: a copy of ``G_module``) and a discriminator.
        drop: snapshot keys to leave out.
        numpy1: spell numpy scalars ``numpy.core...`` (default: for protocol ≤ 3).
        pickler: a subclass of :class:`NVPickler` to write with.
    """
    data = snapshot(G_module, init_kwargs, layout=layout, G=G, D=D, extra=extra, drop=drop)
    return dump(data, path, protocol=protocol, numpy1=numpy1, pickler=pickler)


def write_tf_pickle(path: str | Path, build_module_src: str) -> Path:
    """A TensorFlow-era StyleGAN pickle: ``(G, D, Gs)`` of ``dnnlib.tflib.network.Network``,
    whose state carries ``build_module_src`` (which NVIDIA's TF loader would exec)."""
    nets = tuple(Network(n, build_module_src) for n in ("G", "D", "Gs"))
    return dump(nets, path, protocol=3)


# -- a StyleGAN3-like generator (names and attributes only) ---------------------------------
class SynthesisInput(nn.Module):
    def __init__(self, w_dim: int, channels: int, size: int) -> None:
        super().__init__()
        from genzoo_plugins.stylegan2.networks import FullyConnectedLayer

        self.w_dim, self.channels = w_dim, channels
        self.size = np.array([size, size])
        self.sampling_rate, self.bandwidth = 16, 2.0
        self.affine = FullyConnectedLayer(w_dim, 4)
        self.register_buffer("transform", torch.eye(3))
        self.register_buffer("freqs", torch.randn(channels, 2))
        self.register_buffer("phases", torch.rand(channels) - 0.5)
        self.weight = nn.Parameter(torch.randn(channels, channels))


class SynthesisLayer(nn.Module):
    def __init__(self, w_dim: int, channels: int, size: int) -> None:
        super().__init__()
        from genzoo_plugins.stylegan2.networks import FullyConnectedLayer

        self.in_size = np.array([size, size])
        self.out_size = np.array([size, size])
        self.affine = FullyConnectedLayer(w_dim, channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(channels, channels, 3, 3))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("magnitude_ema", torch.ones([]))


class StyleGAN3Synthesis(nn.Module):
    def __init__(self, w_dim: int, channels: int) -> None:
        super().__init__()
        self.input = SynthesisInput(w_dim, channels, 36)
        for i in range(2):
            setattr(self, f"L{i}_36_{channels}", SynthesisLayer(w_dim, channels, 36))


class StyleGAN3Generator(nn.Module):
    """Module tree and tensor names of a (tiny) stylegan3 ``Generator``."""

    def __init__(self, z_dim: int = 8, w_dim: int = 8, channels: int = 8) -> None:
        super().__init__()
        from genzoo_plugins.stylegan2.networks import MappingNetwork

        self.z_dim, self.c_dim, self.w_dim = z_dim, 0, w_dim
        self.img_resolution, self.img_channels, self.num_ws = 16, 3, 3
        self.synthesis = StyleGAN3Synthesis(w_dim, channels)
        self.mapping = MappingNetwork(z_dim, 0, w_dim, 3, num_layers=2)

    @staticmethod
    def init_kwargs() -> dict[str, Any]:
        return {
            "z_dim": 8,
            "c_dim": 0,
            "w_dim": 8,
            "img_resolution": 16,
            "img_channels": 3,
            "mapping_kwargs": EasyDict(num_layers=2),
            "channel_base": 32768,
            "channel_max": 8,
            "magnitude_ema_beta": 0.999,
            "conv_kernel": 3,
            "use_radial_filters": False,
        }


def persistent_stylegan3(G: nn.Module) -> Persistent:
    """Wrap with the NVIDIA class names (SynthesisNetwork / Generator)."""
    wrapped = persistent(G, G.init_kwargs(), class_name="Generator")  # type: ignore[operator]
    synthesis = wrapped.meta["state"]["_modules"]["synthesis"]
    synthesis.meta["class_name"] = "SynthesisNetwork"
    return wrapped


# -- static inspection ----------------------------------------------------------------------
_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING"}
_BYTES_OPS = {"BINBYTES", "SHORT_BINBYTES", "BINBYTES8"}


def _globals_of_one(data: bytes, start: int, found: set[str], blobs: list[bytes]) -> int:
    """Scan one pickle at ``start`` without running it; the offset after its STOP."""
    memo: dict[int, Any] = {}
    pushed: list[Any] = []
    end = start
    for op, arg, pos in pickletools.genops(io.BytesIO(data[start:])):
        name = op.name
        if name in _STRING_OPS:
            pushed.append(arg)
        elif name in _BYTES_OPS:
            pushed.append(arg)
            if isinstance(arg, bytes) and arg.startswith(b"\x80\x02\x8a\n"):
                blobs.append(arg)
        elif name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[arg] = pushed[-1] if pushed else None
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo.get(arg))
        elif name in ("GLOBAL", "INST"):
            found.add(arg.replace(" ", "."))
            pushed.append(None)
        elif name == "STACK_GLOBAL":
            found.add(f"{pushed[-2]}.{pushed[-1]}")
            pushed.append(None)
        elif name == "STOP":
            end = start + pos + 1
        elif name not in ("FRAME", "PROTO", "MARK"):
            pushed.append(None)
    return end


def pickle_globals(data: bytes) -> tuple[set[str], set[str]]:
    """(globals of the outer pickle, globals inside its storage blobs): a static opcode scan."""
    outer: set[str] = set()
    blobs: list[bytes] = []
    _globals_of_one(data, 0, outer, blobs)
    inner: set[str] = set()
    for blob in blobs:
        pos = 0
        for _ in range(5):  # magic, protocol, sys info, the storage, the key list
            pos = _globals_of_one(blob, pos, inner, [])
    return outer, inner
