"""Safe reader of NVIDIA's StyleGAN2 network pickles, and the ``nvlabs`` converter.

NVlabs' stylegan2-ada-pytorch and stylegan3 save ``pickle.dump({"G", "D", "G_ema",
"augment_pipe", "training_set_kwargs"})``. Each network is a ``torch_utils.persistence``
object: unpickling it normally ``exec``s the networks' Python source, which the pickle carries
as text. Nothing like that happens here. A restricted unpickler admits a fixed list of globals
and returns an *inert* replacement for each (a function that only checks and stores its
arguments, or a plain container type):

=============================================================  ================================
global in the pickle                                           replaced by
=============================================================  ================================
``torch_utils.persistence._reconstruct_persistent_obj``        :class:`PersistentObject` (the
                                                               class name, the source as text,
                                                               the ``nn.Module`` state)
``dnnlib.util.EasyDict``                                       a bare ``dict`` subclass
``collections.OrderedDict``, ``builtins.set``/``frozenset``    themselves
``torch._utils._rebuild_tensor_v2``                            a strided view of a decoded
                                                               storage (bounds checked; the
                                                               chosen network's are copied)
``torch._utils._rebuild_parameter`` (``_with_state``)          the tensor itself
``torch.storage._load_from_bytes``                             a parser of the nested legacy
                                                               ``torch.save`` blob (a second
                                                               unpickler admitting only
                                                               ``torch.<T>Storage``)
``numpy.dtype``, ``numpy[._]core.multiarray.scalar``           numeric dtypes and scalars only
``numpy[._]core.multiarray._reconstruct``, ``numpy.ndarray``   numeric arrays only (stylegan3)
=============================================================  ================================

Any other global (``os.system``, ``builtins.eval``, ``torch.nn.Sequential``...) and any
persistent id raise :class:`~genzoo.errors.UnsafePickleError` naming it, before anything is
called. TensorFlow-era pickles (``dnnlib.tflib.network.Network``) and StyleGAN3 generators are
refused as unsupported.

The chosen network's tensors are then collected in ``nn.Module.state_dict()`` order (own
parameters, persistent buffers, children) and checked, name by name and shape by shape,
against genzoo's own :class:`~genzoo_plugins.stylegan2.networks.Generator` built from the
network's recorded constructor arguments. NVIDIA's code and weights are under the NVIDIA Source
Code License (non-commercial), which converted entries carry as a restricted licence.
"""

from __future__ import annotations

import io
import math
import pickle
import re
import struct
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genzoo.errors import UnsafePickleError, UnsupportedCheckpointError, WeightsError
from genzoo.weights.convert import check_converter_options

__all__ = [
    "LICENSE",
    "NetworkPickle",
    "PersistentObject",
    "convert_nvlabs",
    "generator_kwargs",
    "read_network_pickle",
]

OPTIONS = ("network", "name")
NETWORKS = ("G_ema", "G")
#: licence id of converted entries (NVIDIA Source Code License, non-commercial)
LICENSE = "nvidia-source-code-license-nc"
PAPER = "Karras et al., Analyzing and Improving the Image Quality of StyleGAN, CVPR 2020"

PERSISTENCE_VERSION = 6  # torch_utils/persistence.py `_version` in both NVlabs repos
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
LEGACY_PROTOCOL = 1001  # torch.serialization.PROTOCOL_VERSION
_MAX_DEPTH = 64  # module tree / container nesting a network pickle may have


# -- internal errors: raised while unpickling, turned into genzoo errors naming the file ------
class _Problem(Exception):
    error: type[WeightsError] = WeightsError

    def to_error(self, where: str) -> WeightsError:
        """The genzoo error, the message prefixed by the file (and network)."""
        what = "" if type(self) is not _Problem else "malformed network pickle: "
        return self.error(f"{where}: {what}{self}")


class _Refused(_Problem):
    error = UnsafePickleError


class _Unsupported(_Problem):
    error = UnsupportedCheckpointError


# -- inert replacements of the allowed globals ----------------------------------------------
class _NoState:
    """Stand-ins accept no BUILD state: a pickle that tries to set one is malformed."""

    __slots__ = ()

    def __setstate__(self, state: Any) -> None:
        raise _Problem(f"unexpected object state for {type(self).__name__}")


@dataclass(eq=False)
class PersistentObject(_NoState):
    """Inert stand-in of an instance of an NVIDIA ``@persistent_class``.

    ``module_src`` is the text of the Python module that defined the class; it is kept for
    inspection only and never run. ``state`` is the instance's ``nn.Module.__dict__``
    (``_parameters``, ``_buffers``, ``_modules`` with child objects, plain attributes,
    ``_init_args``, ``_init_kwargs``).
    """

    class_name: str
    module_src: str = field(repr=False)
    version: int
    state: dict[str, Any] = field(repr=False)


def _reconstruct_persistent_obj(meta: Any) -> PersistentObject:
    if not isinstance(meta, dict) or meta.get("type") != "class":
        kind = meta.get("type") if isinstance(meta, dict) else type(meta).__name__
        raise _Unsupported(f"a persistent object of type {kind!r} (expected 'class')")
    version = meta.get("version")
    if version != PERSISTENCE_VERSION:
        raise _Unsupported(
            f"persistence version {version!r}; genzoo reads version {PERSISTENCE_VERSION} "
            "(stylegan2-ada-pytorch, stylegan3)"
        )
    class_name, src, state = meta.get("class_name"), meta.get("module_src"), meta.get("state")
    if not isinstance(class_name, str) or not isinstance(src, str) or not isinstance(state, dict):
        raise _Problem("a persistent object without class name, module source or state")
    return PersistentObject(class_name, src, version, state)


class _EasyDict(dict):  # type: ignore[type-arg]
    """Inert stand-in of ``dnnlib.util.EasyDict`` (a dict subclass; read as a dict)."""

    def __setstate__(self, state: Any) -> None:
        if state:
            raise _Problem("unexpected object state for dnnlib.util.EasyDict")


class _Storage(_NoState):
    """A decoded torch storage: its elements as a flat tensor."""

    __slots__ = ("flat",)

    def __init__(self, flat: torch.Tensor) -> None:
        self.flat = flat


class _StorageType(_NoState):
    """Inert token of ``torch.<T>Storage`` inside a storage blob."""

    __slots__ = ("dtype", "name")

    def __init__(self, name: str, dtype: torch.dtype) -> None:
        self.name, self.dtype = name, dtype


class _StorageRef(_NoState):
    """The persistent id of the storage a blob holds."""

    __slots__ = ("dtype", "key", "numel")

    def __init__(self, dtype: torch.dtype, key: str, numel: int) -> None:
        self.dtype, self.key, self.numel = dtype, key, numel


_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "DoubleStorage": torch.float64,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
    "ComplexFloatStorage": torch.complex64,
    "ComplexDoubleStorage": torch.complex128,
}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class _BlobUnpickler(pickle.Unpickler):
    """Reads the pickles of a legacy ``torch.save`` blob; admits ``torch.<T>Storage`` only."""

    def __init__(self, f: io.BytesIO) -> None:
        super().__init__(f)
        self.refs: list[_StorageRef] = []

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name, _STORAGE_DTYPES[name])
        raise _Refused(
            f"refused: global {module}.{name} is not allowed inside a tensor storage blob "
            "of a network pickle; nothing in the file was executed"
        )

    def persistent_load(self, pid: Any) -> Any:
        if (
            not isinstance(pid, tuple)
            or len(pid) not in (5, 6)
            or pid[0] != "storage"
            or not isinstance(pid[1], _StorageType)
            or not isinstance(pid[2], str)
            or not _is_int(pid[4])
            or pid[4] < 0
        ):
            raise _Problem(f"a storage blob with an unexpected persistent id {str(pid)[:80]}")
        if len(pid) == 6 and pid[5] is not None:
            raise _Unsupported("a storage view (old torch serialization) in a storage blob")
        ref = _StorageRef(pid[1].dtype, pid[2], pid[4])
        self.refs.append(ref)
        return ref


def _load_from_bytes(blob: Any) -> _Storage:
    """Decode a legacy (non-zip) ``torch.save`` of one storage, by hand.

    Layout: pickles of the magic number, the protocol version 1001 and the sys info; the
    pickled object (its persistent id ``('storage', torch.<T>Storage, key, location, numel,
    None)``); the pickled key list; per key an int64 element count and the raw bytes.
    """
    if not isinstance(blob, bytes | bytearray):
        raise _Problem(f"a storage blob of type {type(blob).__name__}")
    f = io.BytesIO(blob)

    def load() -> Any:
        return _BlobUnpickler(f).load()

    if load() != LEGACY_MAGIC or load() != LEGACY_PROTOCOL:
        raise _Problem("a storage blob that is not a legacy torch serialization")
    sys_info = load()
    if not isinstance(sys_info, dict):
        raise _Problem("a storage blob without sys info")
    if sys_info.get("little_endian") is not True:
        raise _Unsupported("a big-endian storage blob")
    up = _BlobUnpickler(f)
    ref = up.load()
    if not isinstance(ref, _StorageRef) or len(up.refs) != 1:
        raise _Problem("a storage blob that does not hold exactly one storage")
    if load() != [ref.key]:
        raise _Problem("a storage blob whose key list does not match its storage")
    head = f.read(8)
    if len(head) != 8 or struct.unpack("<q", head)[0] != ref.numel:
        raise _Problem("a storage blob whose element count does not match its storage")
    itemsize = torch.empty((), dtype=ref.dtype).element_size()
    start, nbytes = f.tell(), ref.numel * itemsize
    if start + nbytes > len(blob):
        raise _Problem("a truncated storage blob")
    if nbytes == 0:
        return _Storage(torch.empty(0, dtype=ref.dtype))
    # no copy: the tensor reads the pickle's own bytes (read-only; the chosen network's
    # tensors are copied out by the walk, everything else is freed with the pickle)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The given buffer is not writable")
        flat = torch.frombuffer(blob, dtype=ref.dtype, count=ref.numel, offset=start)
    return _Storage(flat)


def _int_tuple(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, tuple | list) or not all(_is_int(x) and x >= 0 for x in v):
        raise _Problem(f"a tensor with an invalid {what} {str(v)[:60]}")
    return tuple(v)


def _rebuild_tensor_v2(
    storage: Any,
    storage_offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> torch.Tensor:
    if not isinstance(storage, _Storage):
        raise _Problem(f"a tensor whose storage is a {type(storage).__name__}")
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    if len(size) != len(stride) or not _is_int(storage_offset) or storage_offset < 0:
        raise _Problem("a tensor with an invalid size, stride or offset")
    flat = storage.flat
    if math.prod(size) == 0:
        return torch.empty(size, dtype=flat.dtype)
    extent = storage_offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) + 1
    if extent > flat.numel():
        raise _Problem("a tensor that reaches beyond its storage")
    return flat.as_strided(size, stride, storage_offset)


def _rebuild_parameter(data: Any, requires_grad: Any = False, backward_hooks: Any = None) -> Any:
    if not isinstance(data, torch.Tensor):
        raise _Problem(f"a parameter holding a {type(data).__name__}")
    return data


def _rebuild_parameter_with_state(
    data: Any, requires_grad: Any, backward_hooks: Any, state: Any
) -> Any:
    return _rebuild_parameter(data)


class _DType(_NoState):
    """A numpy dtype, numeric only (bool, int, uint, float, complex)."""

    __slots__ = ("byteorder", "code")

    def __init__(self, code: str) -> None:
        self.code, self.byteorder = code, "="

    def __setstate__(self, state: Any) -> None:
        # (version, byteorder, subarray, names, fields, elsize, alignment, flags)
        if (
            not isinstance(state, tuple)
            or len(state) < 5
            or state[1] not in ("<", ">", "|", "=")
            or any(x is not None for x in state[2:5])
        ):
            raise _Refused(f"refused: a structured numpy dtype {self.code!r} in a network pickle")
        self.byteorder = state[1]

    def numpy(self) -> np.dtype:  # type: ignore[type-arg]
        dt = np.dtype(self.code)
        return dt.newbyteorder(self.byteorder) if self.byteorder in ("<", ">") else dt


def _np_dtype(obj: Any, align: Any = False, copy: Any = False) -> _DType:
    if isinstance(obj, str) and obj[:1] == "O":
        raise _Refused(
            f"refused: numpy object dtype {obj!r} in a network pickle (it would unpickle "
            "arbitrary Python objects); nothing in the file was executed"
        )
    if not isinstance(obj, str) or not re.fullmatch(r"[biufc]\d{1,2}", obj):
        raise _Refused(
            f"refused: numpy dtype {str(obj)[:40]!r} is not allowed in a network pickle; "
            "nothing in the file was executed"
        )
    try:
        np.dtype(obj)
    except TypeError:
        raise _Problem(f"an invalid numpy dtype {obj!r}") from None
    return _DType(obj)


def _np_scalar(dtype: Any, data: Any = None) -> Any:
    if not isinstance(dtype, _DType) or not isinstance(data, bytes):
        raise _Problem("a numpy scalar without a numeric dtype and bytes")
    dt = dtype.numpy()
    if len(data) != dt.itemsize:
        raise _Problem("a numpy scalar of the wrong size")
    return np.frombuffer(data, dtype=dt)[0].item()


class _NDArrayType(_NoState):
    """Inert token for ``numpy.ndarray`` (only meaningful as ``_reconstruct``'s subtype)."""

    __slots__ = ()


_NDARRAY = _NDArrayType()


class _Array(_NoState):
    """A numpy array of a numeric dtype (``_reconstruct`` + BUILD state)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: np.ndarray | None = None  # type: ignore[type-arg]

    def __setstate__(self, state: Any) -> None:
        # (version, shape, dtype, is_fortran, rawdata)
        if not isinstance(state, tuple) or len(state) != 5 or not isinstance(state[2], _DType):
            raise _Problem("a numpy array with an unexpected state")
        shape = _int_tuple(state[1], "array shape")
        dt, raw = state[2].numpy(), state[4]
        if not isinstance(raw, bytes | bytearray) or len(raw) != math.prod(shape) * dt.itemsize:
            raise _Problem("a numpy array whose data does not match its shape")
        order = "F" if state[3] else "C"
        self.value = np.frombuffer(raw, dtype=dt).reshape(shape, order=order).copy()


def _np_reconstruct(subtype: Any, shape: Any = None, typecode: Any = None) -> _Array:
    if subtype is not _NDARRAY:
        raise _Refused("refused: a numpy array subtype other than numpy.ndarray")
    return _Array()


def _np_frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> _Array:
    if not isinstance(dtype, _DType) or not isinstance(buf, bytes | bytearray):
        raise _Problem("a numpy buffer without a numeric dtype")
    shape, dt = _int_tuple(shape, "array shape"), dtype.numpy()
    if len(buf) != math.prod(shape) * dt.itemsize or order not in ("C", "F"):
        raise _Problem("a numpy buffer whose data does not match its shape")
    arr = _Array()
    arr.value = np.frombuffer(bytes(buf), dtype=dt).reshape(shape, order=order).copy()
    return arr


class _Call(_NoState):
    """An allowed function global: calls its inert replacement. Being a slotted object without
    state, a pickle cannot BUILD attributes onto it (a plain function would let a pickle
    rewrite the reader's own ``__defaults__`` for the rest of the process)."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)


_ALLOWED: dict[tuple[str, str], Any] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _Call(_reconstruct_persistent_obj),
    ("dnnlib.util", "EasyDict"): _EasyDict,
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "set"): set,
    ("__builtin__", "frozenset"): frozenset,
    ("torch._utils", "_rebuild_tensor_v2"): _Call(_rebuild_tensor_v2),
    ("torch._utils", "_rebuild_parameter"): _Call(_rebuild_parameter),
    ("torch._utils", "_rebuild_parameter_with_state"): _Call(_rebuild_parameter_with_state),
    ("torch.storage", "_load_from_bytes"): _Call(_load_from_bytes),
    ("numpy", "dtype"): _Call(_np_dtype),
    ("numpy.core.multiarray", "scalar"): _Call(_np_scalar),
    ("numpy._core.multiarray", "scalar"): _Call(_np_scalar),
    ("numpy.core.multiarray", "_reconstruct"): _Call(_np_reconstruct),
    ("numpy._core.multiarray", "_reconstruct"): _Call(_np_reconstruct),
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy.core.numeric", "_frombuffer"): _Call(_np_frombuffer),
    ("numpy._core.numeric", "_frombuffer"): _Call(_np_frombuffer),
}
#: the globals a reader admits (``module.name``), for documentation and tests
ALLOWED_GLOBALS = frozenset(f"{m}.{n}" for m, n in _ALLOWED)


class _Unpickler(pickle.Unpickler):
    """The restricted unpickler: inert replacements for :data:`ALLOWED_GLOBALS`, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("dnnlib.tflib"):
            raise _Unsupported(
                f"a TensorFlow-era StyleGAN pickle (global {module}.{name}); genzoo reads the "
                "PyTorch pickles of stylegan2-ada-pytorch and stylegan3 only. Convert it with "
                "NVIDIA's legacy.py (stylegan2-ada-pytorch: python legacy.py --source=... "
                "--dest=...) in an environment you trust, then convert the result"
            )
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(
                f"refused: global {module}.{name} is not allowed in a network pickle; "
                "nothing in the file was executed"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused(
            f"refused: persistent id {str(pid)[:60]!r} in a network pickle (NVIDIA's network "
            "pickles have none); nothing in the file was executed"
        )


def _unpickle(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            return _Unpickler(f).load()
    except _Problem as exc:
        raise exc.to_error(str(path)) from None
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read the network pickle ({exc})") from None
    except Exception as exc:  # truncated, not a pickle, malformed
        raise WeightsError(
            f"{path}: cannot read the network pickle, the file is truncated or not an NVIDIA "
            f"network pickle ({type(exc).__name__}: {exc})"
        ) from None


# -- walking the module tree ------------------------------------------------------------------
def _plain(v: Any, budget: list[int] | None = None, depth: int = 0) -> Any:
    """Unpickled constructor arguments / attributes as plain Python values.

    ``budget`` bounds the number of values visited: a pickle can share one container many
    times over (its memo), which a naive deep conversion would expand exponentially.
    """
    budget = [100_000] if budget is None else budget
    budget[0] -= 1
    if depth > _MAX_DEPTH or budget[0] < 0:
        raise _Problem("values nested too deeply or too many of them")
    if isinstance(v, dict):
        return {k: _plain(x, budget, depth + 1) for k, x in v.items()}
    if isinstance(v, list | tuple):
        items = [_plain(x, budget, depth + 1) for x in v]
        return items if isinstance(v, list) else tuple(items)
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, _Array):
        return None if v.value is None else v.value.tolist()
    if isinstance(v, _DType):
        return str(v.numpy())
    return v


def _is_simple(v: Any) -> bool:
    if v is None or isinstance(v, bool | int | float | str):
        return True
    return isinstance(v, list | tuple) and all(_is_simple(x) for x in v)


def _walk(
    obj: PersistentObject,
    prefix: str,
    tensors: dict[str, torch.Tensor],
    attrs: dict[str, Any],
    seen: set[int],
) -> None:
    """``nn.Module.state_dict()`` order: parameters, persistent buffers, then children."""
    if id(obj) in seen or prefix.count(".") > _MAX_DEPTH:
        raise _Problem(f"module {prefix or 'root'} appears twice in the module tree")
    seen.add(id(obj))
    state = obj.state
    params, buffers = state.get("_parameters", {}), state.get("_buffers", {})
    modules = state.get("_modules", {})
    skip = state.get("_non_persistent_buffers_set", set())
    if not all(isinstance(x, dict) for x in (params, buffers, modules)) or not isinstance(
        skip, set | frozenset
    ):
        raise _Problem(f"module {prefix or 'root'} has no nn.Module state")
    for kind, items in (("parameter", params), ("buffer", buffers)):
        for name, t in items.items():
            if t is None or (kind == "buffer" and name in skip):
                continue
            if not isinstance(t, torch.Tensor):
                raise _Problem(f"{kind} {prefix}{name} is a {type(t).__name__}, not a tensor")
            # a copy of its own (the pickle's bytes are freed); no hooks or grad a pickle set
            tensors[f"{prefix}{name}"] = t.detach().clone()
    for name, v in state.items():
        if not name.startswith("_") and name != "training":
            try:
                v = _plain(v)
            except _Problem:
                continue  # an attribute too big to list: not needed
            if _is_simple(v):
                attrs[f"{prefix}{name}"] = v
    for name, child in modules.items():
        if child is None:
            continue
        if not isinstance(child, PersistentObject):
            raise _Problem(f"submodule {prefix}{name} is a {type(child).__name__}")
        _walk(child, f"{prefix}{name}.", tensors, attrs, seen)


def _family(names: list[str]) -> str:
    if "synthesis.input.freqs" in names or any(
        re.match(r"synthesis\.L\d+_\d+_\d+\.", n) for n in names
    ):
        return "stylegan3"
    if "synthesis.b4.const" in names:
        return "stylegan2"
    return "unknown"


@dataclass
class NetworkPickle:
    """One network of an NVIDIA snapshot, read without running anything.

    Attributes:
        key: the snapshot key it was read from (``G_ema``, ``G``...).
        class_name: the persistent class name (``Generator``).
        init_kwargs: constructor keyword arguments as plain nested dicts.
        init_args: constructor positional arguments (usually empty).
        tensors: name → tensor in ``nn.Module.state_dict()`` order, dtypes as stored.
        attrs: plain attributes of every module by dotted name (``num_ws``,
            ``synthesis.b4.use_fp16``...), numpy scalars as Python scalars.
        kind: ``stylegan2``, ``stylegan3`` or ``unknown`` (from the tensor names).
    """

    key: str
    class_name: str
    init_kwargs: dict[str, Any]
    init_args: tuple[Any, ...]
    tensors: OrderedDict[str, torch.Tensor]
    attrs: dict[str, Any]
    kind: str


def _keys(d: dict[Any, Any]) -> str:
    return ", ".join(map(repr, list(d)[:8])) + (", ..." if len(d) > 8 else "")


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        return f"a dict with keys {_keys(obj)}" if obj else "an empty dict"
    if isinstance(obj, PersistentObject):
        return f"a single network ({obj.class_name})"
    return f"a {type(obj).__name__}"


def read_network_pickle(
    path: str | Path, key: str = "G_ema", *, allow_stylegan3: bool = False
) -> NetworkPickle:
    """Read network ``key`` of an NVIDIA snapshot pickle with the restricted unpickler.

    The whole stream has to be read (pickle cannot seek), but only the chosen network is kept.

    Raises:
        UnsafePickleError: a global outside the allow-list, a persistent id, a numpy object
            dtype (named); nothing was executed.
        UnsupportedCheckpointError: a TensorFlow-era pickle, a StyleGAN3 generator (unless
            ``allow_stylegan3``), a snapshot without ``key`` (the keys found are named), or
            anything that is not a dict snapshot of persistent networks.
        WeightsError: the file is missing, truncated or malformed.
    """
    path = Path(path)
    data = _unpickle(path)
    if not isinstance(data, dict) or not any(
        isinstance(v, PersistentObject) for v in data.values()
    ):
        raise UnsupportedCheckpointError(
            f"{path}: not an NVIDIA network snapshot (expected a dict with the networks G, D "
            f"and G_ema; found {_describe(data)})"
        )
    if key not in data:
        raise UnsupportedCheckpointError(
            f"{path}: the snapshot has no network {key!r} (keys found: {_keys(data)})"
        )
    net = data[key]
    data = None  # G, D and the rest are dropped here: only the chosen network is kept
    if not isinstance(net, PersistentObject):
        raise UnsupportedCheckpointError(
            f"{path}: {key} is {_describe(net)}, not a network saved by NVIDIA's persistence"
        )
    tensors: OrderedDict[str, torch.Tensor] = OrderedDict()
    attrs: dict[str, Any] = {}
    try:
        _walk(net, "", tensors, attrs, set())
        init_kwargs = _plain(net.state.get("_init_kwargs"))
        init_args = _plain(net.state.get("_init_args", ()))
    except _Problem as exc:
        raise exc.to_error(f"{path}: {key}") from None
    if not isinstance(init_kwargs, dict) or not isinstance(init_args, tuple | list):
        raise UnsupportedCheckpointError(
            f"{path}: {key} ({net.class_name}) has no recorded constructor arguments"
        )
    names = list(tensors)
    kind = _family(names)
    if kind == "stylegan3" and not allow_stylegan3:
        found = [n for n in names if n == "synthesis.input.freqs"]
        layer = next((n for n in names if re.match(r"synthesis\.L\d+_", n)), None)
        if layer:
            found.append(layer.rsplit(".", 1)[0] + ".*")
        raise UnsupportedCheckpointError(
            f"{path}: {key} is a StyleGAN3 generator (tensors {', '.join(found)}), which "
            "genzoo's stylegan2 family cannot load"
        )
    return NetworkPickle(key, net.class_name, init_kwargs, tuple(init_args), tensors, attrs, kind)


# -- constructor arguments --------------------------------------------------------------------
_TOP = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels")
_MAPPING_DEFAULTS: dict[str, Any] = {
    "num_layers": 8,
    "lr_multiplier": 0.01,
    "layer_features": None,
    "embed_features": None,
    "w_avg_beta": 0.995,
}
_SYNTHESIS_DEFAULTS: dict[str, Any] = {
    "channel_base": 32768,
    "channel_max": 512,
    "num_fp16_res": 0,
    "conv_clamp": None,
    "architecture": "skip",
    "resample_filter": [1, 3, 3, 1],
    "use_noise": True,
}
# arguments genzoo reproduces only at NVIDIA's default value
_MAPPING_FIXED: dict[str, Any] = {"activation": "lrelu"}
_SYNTHESIS_FIXED: dict[str, Any] = {"activation": "lrelu", "kernel_size": 3}
# arguments that change only NVIDIA's speed or memory layout, not the function
_SYNTHESIS_IGNORED = frozenset({"fused_modconv_default", "fp16_channels_last", "channels_last"})


def generator_kwargs(
    init_kwargs: Mapping[str, Any], init_args: tuple[Any, ...] | list[Any] = (), *, source: str = ""
) -> dict[str, Any]:
    """genzoo's ``Generator(**kwargs)`` arguments from NVIDIA's recorded constructor arguments.

    Takes both layouts: stylegan2-ada-pytorch's (``mapping_kwargs`` and ``synthesis_kwargs``
    nested) and the stylegan3 repo's ``networks_stylegan2`` (synthesis arguments at top level,
    plus ``fused_modconv_default``, which is ignored). Missing arguments get NVIDIA's defaults;
    the result is complete: z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs
    (num_layers, lr_multiplier, layer_features, embed_features, w_avg_beta), channel_base,
    channel_max, num_fp16_res, conv_clamp, architecture, resample_filter, use_noise.

    Raises:
        UnsupportedCheckpointError: an argument genzoo's generator cannot reproduce (unknown,
            or a non-default activation / kernel size / ``w_avg_beta``), all named; ``source``
            prefixes the message.
    """
    kw = dict(init_kwargs)
    names = (*_TOP, "mapping_kwargs", "synthesis_kwargs")
    if len(init_args) > len(names):
        raise UnsupportedCheckpointError(
            f"{source}{len(init_args)} positional constructor arguments (at most {len(names)})"
        )
    for n, v in zip(names, init_args, strict=False):
        if n in kw:
            raise UnsupportedCheckpointError(f"{source}argument {n} given twice")
        kw[n] = v
    missing = [n for n in _TOP if n not in kw]
    if missing:
        raise UnsupportedCheckpointError(
            f"{source}the constructor arguments lack {', '.join(missing)}"
        )
    mapping = kw.pop("mapping_kwargs", None) or {}
    if "synthesis_kwargs" in kw:  # stylegan2-ada-pytorch
        synthesis, prefix = kw.pop("synthesis_kwargs") or {}, "synthesis_kwargs."
        unknown = [n for n in kw if n not in _TOP]
    else:  # stylegan3 repo: Generator(..., mapping_kwargs, **synthesis_kwargs)
        synthesis, prefix = {n: v for n, v in kw.items() if n not in _TOP}, ""
        unknown = []
    if not isinstance(mapping, dict) or not isinstance(synthesis, dict):
        raise UnsupportedCheckpointError(f"{source}mapping/synthesis arguments are not dicts")

    def take(
        given: dict[str, Any], defaults: dict[str, Any], fixed: dict[str, Any], ignored: Any, p: str
    ) -> dict[str, Any]:
        out = dict(defaults)
        for n, v in given.items():
            if n in defaults:
                out[n] = v
            elif n in fixed:
                if v != fixed[n]:
                    unknown.append(f"{p}{n}={v!r}")
            elif n not in ignored:
                unknown.append(f"{p}{n}")
        return out

    m = take(mapping, _MAPPING_DEFAULTS, _MAPPING_FIXED, (), "mapping_kwargs.")
    s = take(synthesis, _SYNTHESIS_DEFAULTS, _SYNTHESIS_FIXED, _SYNTHESIS_IGNORED, prefix)
    if unknown:
        raise UnsupportedCheckpointError(
            f"{source}unsupported generator argument(s) {', '.join(unknown)}: genzoo's "
            "StyleGAN2 generator cannot reproduce them"
        )

    def bad(n: str, v: Any, why: str) -> UnsupportedCheckpointError:
        return UnsupportedCheckpointError(f"{source}{n}={v!r}: {why}")

    def integer(n: str, v: Any, lo: int) -> int:
        if not _is_int(v) or v < lo:
            raise bad(n, v, f"expected an integer ≥ {lo}")
        return int(v)

    out: dict[str, Any] = {n: integer(n, kw[n], 0 if n == "c_dim" else 1) for n in _TOP}
    res = out["img_resolution"]
    if res < 4 or res & (res - 1):
        raise bad("img_resolution", res, "expected a power of two ≥ 4")
    for n in ("layer_features", "embed_features"):
        if m[n] is not None:
            m[n] = integer(f"mapping_kwargs.{n}", m[n], 1)
    m["num_layers"] = integer("mapping_kwargs.num_layers", m["num_layers"], 1)
    if m["w_avg_beta"] is None:
        raise bad(
            "mapping_kwargs.w_avg_beta",
            None,
            "the network tracks no average w (w_avg), which genzoo's generator always has",
        )
    for n in ("lr_multiplier", "w_avg_beta"):
        v = m[n]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise bad(f"mapping_kwargs.{n}", v, "expected a number")
        m[n] = float(v)
    if not 0 <= m["w_avg_beta"] < 1:
        raise bad("mapping_kwargs.w_avg_beta", m["w_avg_beta"], "genzoo needs a decay in [0, 1)")
    if m["lr_multiplier"] <= 0:
        raise bad("mapping_kwargs.lr_multiplier", m["lr_multiplier"], "expected > 0")
    for n in ("channel_base", "channel_max"):
        s[n] = integer(prefix + n, s[n], 1)
    s["num_fp16_res"] = integer(prefix + "num_fp16_res", s["num_fp16_res"], 0)
    clamp = s["conv_clamp"]
    if clamp is not None:
        if isinstance(clamp, bool) or not isinstance(clamp, int | float) or not clamp > 0:
            raise bad(prefix + "conv_clamp", clamp, "expected None or a number > 0")
        s["conv_clamp"] = float(clamp)
    if s["architecture"] not in ("orig", "skip", "resnet"):
        raise bad(prefix + "architecture", s["architecture"], "expected orig, skip or resnet")
    taps = s["resample_filter"]
    if (
        not isinstance(taps, list | tuple)
        or not taps
        or not all(isinstance(t, int | float) and float(t).is_integer() for t in taps)
    ):
        raise bad(prefix + "resample_filter", taps, "expected a list of integer taps")
    s["resample_filter"] = [int(t) for t in taps]
    if not isinstance(s["use_noise"], bool):
        raise bad(prefix + "use_noise", s["use_noise"], "expected true or false")
    return {**out, "mapping_kwargs": m, **s}


def _layout(kwargs: dict[str, Any]) -> tuple[dict[str, tuple[int, ...]], int]:
    """Names and shapes of genzoo's generator for ``kwargs`` (built without memory), num_ws."""
    from genzoo_plugins.stylegan2.networks import Generator

    with torch.device("meta"):
        g = Generator(**kwargs)
    return {k: tuple(v.shape) for k, v in g.state_dict().items()}, int(g.num_ws)


# -- the converter ----------------------------------------------------------------------------
def convert_nvlabs(
    path: str | Path,
    *,
    network: str | None = None,
    name: str | None = None,
    **unknown: Any,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(spec dict, tensors) of a genzoo ``stylegan2`` entry from an NVIDIA network pickle.

    Args:
        path: the ``.pkl`` snapshot of stylegan2-ada-pytorch or of the stylegan3 repo's
            StyleGAN2 configuration.
        network: ``G_ema`` (default, the moving average used for sampling) or ``G``.
        name: entry name for the spec (None: left to the caller).

    Returns:
        A partial spec (family ``stylegan2``, the network's data shape, latent size, classes
        and architecture; licence ``nvidia-source-code-license-nc``, restricted) and the
        generator's tensors as ``G.<NVIDIA name>`` float32 (fp16 tensors are cast). The other
        networks are not converted.

    Raises:
        UnsafePickleError: the pickle references anything beyond the network format (named).
        UnsupportedCheckpointError: a TensorFlow-era or StyleGAN3 pickle, a missing network,
            or constructor arguments genzoo cannot reproduce (named).
        WeightsError: unreadable file, or a tensor missing, unexpected or of the wrong shape
            (the first one is named).
        SpecError: an option this converter does not take.
    """
    check_converter_options("nvlabs", unknown, network, NETWORKS, OPTIONS)
    path = Path(path)
    net = network or "G_ema"
    pk = read_network_pickle(path, net)
    where = f"{path}: {net}"
    if pk.kind != "stylegan2" or pk.class_name != "Generator":
        first = ", ".join(list(pk.tensors)[:3]) or "none"
        raise UnsupportedCheckpointError(
            f"{where} is not a StyleGAN2 generator (class {pk.class_name}, no tensor "
            f"synthesis.b4.const; first tensors: {first})"
            if pk.kind != "stylegan2"
            else f"{where} is a {pk.class_name}, not a Generator"
        )
    kw = generator_kwargs(pk.init_kwargs, pk.init_args, source=f"{where}: ")
    try:
        expected, num_ws = _layout(kw)
    except Exception as exc:
        raise UnsupportedCheckpointError(
            f"{where}: genzoo cannot build a StyleGAN2 generator from its arguments "
            f"({type(exc).__name__}: {exc})"
        ) from None
    got = pk.tensors
    for k, shape in expected.items():
        if k not in got:
            raise WeightsError(f"{where}: missing tensor {k} of the StyleGAN2 generator")
        if tuple(got[k].shape) != shape:
            raise WeightsError(
                f"{where}: tensor {k} has shape {tuple(got[k].shape)}, expected {shape} from "
                "the network's constructor arguments"
            )
    extra = [k for k in got if k not in expected]
    if extra:
        raise WeightsError(f"{where}: unexpected tensor {extra[0]}, not in the StyleGAN2 generator")
    if pk.attrs.get("num_ws", num_ws) != num_ws:
        raise WeightsError(
            f"{where}: num_ws is {pk.attrs['num_ws']}, the architecture has {num_ws}"
        )

    tensors: dict[str, torch.Tensor] = {}
    storages: set[int] = set()
    for k, t in got.items():
        if not t.is_floating_point():
            raise WeightsError(f"{where}: tensor {k} has dtype {t.dtype}, expected floating point")
        t = t.detach().to(torch.float32).contiguous()
        ptr = t.untyped_storage().data_ptr()
        if ptr in storages or t.untyped_storage().nbytes() != t.numel() * 4:
            t = t.clone()  # shared or partial storages: safetensors wants tensors of their own
        storages.add(ptr)
        tensors[f"G.{k}"] = t
    got.clear()
    return _spec(kw, path, net, "synthesis_kwargs" in pk.init_kwargs, name), tensors


def _spec(kw: dict[str, Any], path: Path, net: str, ada: bool, name: str | None) -> dict[str, Any]:
    m, c_dim = kw["mapping_kwargs"], kw["c_dim"]
    spec: dict[str, Any] = {
        "family": "stylegan2",
        "description": f"StyleGAN2 generator converted from NVIDIA network pickle {path.name}",
        "task": "conditional" if c_dim else "unconditional",
        "data": {"kind": "image", "channels": kw["img_channels"], "size": kw["img_resolution"]},
        "latent": {"dim": kw["z_dim"]},
        "arch": {
            "w_dim": kw["w_dim"],
            "mapping_layers": m["num_layers"],
            "mapping_lr_multiplier": m["lr_multiplier"],
            "layer_features": m["layer_features"],
            "embed_features": m["embed_features"] if c_dim else None,
            "w_avg_beta": m["w_avg_beta"],
            "channel_base": kw["channel_base"],
            "channel_max": kw["channel_max"],
            "num_fp16_res": kw["num_fp16_res"],
            "conv_clamp": kw["conv_clamp"],
            "architecture": kw["architecture"],
            "resample_filter": list(kw["resample_filter"]),
            "use_noise": kw["use_noise"],
        },
        "license": LICENSE,
        "license_restricted": True,
        "paper": PAPER,
        "provenance": f"NVIDIA network pickle {path.name} ({net}, "
        + ("stylegan2-ada-pytorch" if ada else "stylegan3-repo")
        + " layout), read by genzoo's restricted unpickler; NVIDIA Source Code License "
        "(non-commercial)",
    }
    if c_dim:
        spec["conditions"] = {"kind": "class", "names": [str(i) for i in range(c_dim)]}
    if name is not None:
        spec["name"] = name
    return spec
