"""The Inception-v3 feature space of standard FID/KID, for weights the user already has.

The network is the one the reference FID code uses: pytorch-fid's ``fid_inception_v3``, a port
of TensorFlow's ``inception-2015-12-05`` graph that the original TTUR FID code reads. Its layout
is torchvision's Inception-v3 without the auxiliary head, with 1008 logits instead of 1000, and
its pooling branches differ from torchvision's in two ways:

* Mixed_5b/5c/5d (block A), Mixed_6b–6e (block C) and Mixed_7b (the first block E) average-pool
  3×3 with ``count_include_pad=False``: TensorFlow leaves the zero padding out of the mean;
* Mixed_7c (the second block E) max-pools 3×3 (stride 1, padding 1) in that branch instead.

Features are the 2048-d output of the global average pool after Mixed_7c ("pool3"); the fc
layer is kept only because the weights file holds it. Every conv is bias-free and followed by
BatchNorm (eps 0.001) and ReLU; inference uses the running statistics.

Input: NCHW images in [-1, 1], resized bilinearly to 299×299 (``align_corners=False``, no
antialiasing) unless already that size. pytorch-fid resizes [0, 1] images and then maps them
with 2x − 1; bilinear resizing commutes with that affine map, so resizing genzoo's [-1, 1]
images directly gives the same input up to float rounding and no further normalisation is
applied. Grey images are repeated to three channels, as converting a grey image to RGB does.

genzoo never downloads these weights. Get ``pt_inception-2015-12-05-6726825d.pth`` from
pytorch-fid's GitHub release (:data:`URL`) and point ``GENZOO_INCEPTION_WEIGHTS`` at it (a
safetensors file with the same tensors works too). A ``.pth`` is read with
``torch.load(weights_only=True)``, which refuses anything but tensors and containers; tensor
names and shapes are checked strictly. The file's sha256 is recorded in every result
(``extractor_sha256``); a file whose name carries a torch.hub hash prefix (``-6726825d.pth``)
must match it, and a file that is not the official one (:data:`OFFICIAL_SHA256`) is loaded with
a warning and ``official = False``.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.errors import DataError, UnsafePickleError, UnsupportedCheckpointError, WeightsError

log = logging.getLogger(__name__)

ENV = "GENZOO_INCEPTION_WEIGHTS"
FILE_NAME = "pt_inception-2015-12-05-6726825d.pth"
URL = f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{FILE_NAME}"
#: sha256 of the official ``pt_inception-2015-12-05-6726825d.pth`` (95,628,359 bytes); the
#: ``6726825d`` in its name is the prefix torch.hub checks.
OFFICIAL_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
SIZE = 299
DIM = 2048
NUM_LOGITS = 1008
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.pth?$")  # torch.hub's "name-<sha256 prefix>.pth"


# -- network ---------------------------------------------------------------------------------


class BasicConv2d(nn.Module):
    """Bias-free conv → BatchNorm (eps 0.001) → ReLU; state keys ``conv.weight``, ``bn.*``."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel_size: int | tuple[int, int],
        stride: int = 1,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    """3×3 average pool, stride 1, 'same' padding that does not count in the mean (TF)."""
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


def same_max_pool(x: torch.Tensor) -> torch.Tensor:
    """3×3 max pool, stride 1, padding 1 (the pool branch of Mixed_7c in the FID graph)."""
    return F.max_pool2d(x, 3, stride=1, padding=1)


_c = BasicConv2d


class BlockA(nn.Module):
    """35×35 block (Mixed_5b/5c/5d): 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | TF avg pool→1×1."""

    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.pool = tf_avg_pool
        self.branch1x1 = _c(cin, 64, 1)
        self.branch5x5_1 = _c(cin, 48, 1)
        self.branch5x5_2 = _c(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = _c(cin, 64, 1)
        self.branch3x3dbl_2 = _c(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _c(96, 96, 3, padding=1)
        self.branch_pool = _c(cin, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(self.pool(x))], 1)


class BlockB(nn.Module):
    """35→17 reduction (Mixed_6a): 3×3/2 | 1×1→3×3→3×3/2 | max pool 3×3/2."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = _c(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = _c(cin, 64, 1)
        self.branch3x3dbl_2 = _c(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _c(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, stride=2)], 1)


class BlockC(nn.Module):
    """17×17 block (Mixed_6b–6e): 1×1 | 1×1→1×7→7×1 | 1×1→(7×1→1×7)×2 | TF avg pool→1×1."""

    def __init__(self, cin: int, c7: int) -> None:
        super().__init__()
        self.pool = tf_avg_pool
        self.branch1x1 = _c(cin, 192, 1)
        self.branch7x7_1 = _c(cin, c7, 1)
        self.branch7x7_2 = _c(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = _c(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _c(cin, c7, 1)
        self.branch7x7dbl_2 = _c(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _c(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _c(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _c(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = _c(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for conv in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4):
            d = conv(d)
        d = self.branch7x7dbl_5(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(self.pool(x))], 1)


class BlockD(nn.Module):
    """17→8 reduction (Mixed_7a): 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | max pool 3×3/2."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = _c(cin, 192, 1)
        self.branch3x3_2 = _c(192, 320, 3, stride=2)
        self.branch7x7x3_1 = _c(cin, 192, 1)
        self.branch7x7x3_2 = _c(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _c(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _c(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_1(x)
        for conv in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = conv(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):
    """8×8 block (Mixed_7b, Mixed_7c) with split 1×3 / 3×1 outputs.

    ``max_pool=False`` is the first FID block (TF average pool), ``True`` the second.
    """

    def __init__(self, cin: int, *, max_pool: bool) -> None:
        super().__init__()
        self.pool = same_max_pool if max_pool else tf_avg_pool
        self.branch1x1 = _c(cin, 320, 1)
        self.branch3x3_1 = _c(cin, 384, 1)
        self.branch3x3_2a = _c(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = _c(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _c(cin, 448, 1)
        self.branch3x3dbl_2 = _c(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _c(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _c(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = _c(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.branch3x3_1(x)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch3x3_2a(s),
                self.branch3x3_2b(s),
                self.branch3x3dbl_3a(d),
                self.branch3x3dbl_3b(d),
                self.branch_pool(self.pool(x)),
            ],
            1,
        )


class FIDInceptionV3(nn.Module):
    """The FID Inception-v3; attribute names match the weights file's tensor names."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = _c(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = _c(32, 32, 3)
        self.Conv2d_2b_3x3 = _c(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = _c(64, 80, 1)
        self.Conv2d_4a_3x3 = _c(80, 192, 3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, max_pool=False)
        self.Mixed_7c = BlockE(2048, max_pool=True)
        self.fc = nn.Linear(DIM, NUM_LOGITS)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """N×3×299×299 in [-1, 1] → N×2048 pool3 features."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # N,64,147,147
        x = F.max_pool2d(x, 3, stride=2)  # N,64,73,73
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))  # N,192,71,71
        x = F.max_pool2d(x, 3, stride=2)  # N,192,35,35
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a):
            x = block(x)  # → N,768,17,17
        for block in (self.Mixed_6b, self.Mixed_6c, self.Mixed_6d, self.Mixed_6e):
            x = block(x)
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))  # N,2048,8,8
        return x.mean((2, 3))  # global average pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """1008 logits (not used for FID/KID)."""
        return self.fc(self.features(x))


def prepare(x: torch.Tensor) -> torch.Tensor:
    """NCHW images in [-1, 1] (1 or 3 channels) → N×3×299×299 float32 in [-1, 1]."""
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise DataError(
            f"the Inception extractor needs N×1×H×W or N×3×H×W images, got {tuple(x.shape)}"
        )
    x = x.float()
    if x.shape[-2:] != (SIZE, SIZE):
        x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


# -- extractor -------------------------------------------------------------------------------


class InceptionExtractor:
    """2048-d FID Inception features of images in [-1, 1] (no ``classify``: ImageNet classes)."""

    name = "inception"

    def __init__(
        self,
        net: FIDInceptionV3,
        sha256: str,
        path: Path | None = None,
        *,
        official: bool = False,
    ) -> None:
        self.net = net.eval().requires_grad_(False)
        self.sha256 = sha256
        self.path = path
        self.official = official

    @torch.no_grad()
    def features(self, x: torch.Tensor, batch_size: int = 50) -> torch.Tensor:
        """N×2048 float32 features (on the CPU) of NCHW images in [-1, 1]."""
        device = next(self.net.parameters()).device
        parts = [
            self.net.features(prepare(x[i : i + batch_size].to(device))).cpu()
            for i in range(0, len(x), batch_size)
        ]
        return torch.cat(parts) if parts else torch.empty(0, DIM)


def reference_layout() -> dict[str, torch.Tensor]:
    """Tensor names → meta tensors (shape, dtype) of the weights file; nothing is allocated."""
    with torch.device("meta"):
        return FIDInceptionV3().state_dict()


def weights_path(path: str | Path | None = None) -> Path:
    """The weights file: ``path`` or ``$GENZOO_INCEPTION_WEIGHTS``, with a clear error."""
    raw = str(path) if path is not None else os.environ.get(ENV, "")
    if not raw.strip():
        raise WeightsError(
            f"the inception extractor needs the FID Inception weights, which genzoo never "
            f"downloads: get {FILE_NAME} from {URL} and set {ENV}=/path/to/{FILE_NAME}"
        )
    p = Path(raw).expanduser()
    if not p.is_file():
        origin = f" (from {ENV})" if path is None else ""
        raise WeightsError(f"{p}: no such weights file{origin}; get {FILE_NAME} from {URL}")
    return p


def _refusal(exc: Exception) -> str:
    m = re.search(r"(Trying to load unsupported GLOBAL[^\n]*|Unsupported[^\n]*)", str(exc))
    return m.group(1).strip().rstrip(".") if m else "not only tensors and containers"


def read_state(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a ``.safetensors`` file or of a ``.pth`` state dict (``weights_only``)."""
    if path.suffix == ".safetensors":
        from genzoo.weights import read_tensors

        return read_tensors(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only load failed" in str(exc).lower():
            raise UnsafePickleError(
                f"{path}: refused by the restricted loader ({_refusal(exc)}); nothing in the "
                "file was run. Expected a plain state dict of tensors"
            ) from None
        raise WeightsError(f"{path}: not a PyTorch state dict ({exc})") from None
    except Exception as exc:  # truncated zip, not a torch file at all, ...
        raise WeightsError(
            f"{path}: cannot read weights ({type(exc).__name__}: {exc}); expected a .pth "
            "state dict or a .safetensors file"
        ) from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise UnsupportedCheckpointError(
            f"{path}: expected a state dict (tensors by name), got a {type(state).__name__}"
        )
    return state


def check_state(state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """Names, shapes and dtypes against the reference layout; names the first problem.

    ``*.num_batches_tracked`` (a training counter, unused at inference) may be absent, as in
    conversions that drop it; everything else must be there, and nothing more.
    """
    from genzoo.weights import check_tensors

    expected = reference_layout()
    state = dict(state)
    for k, ref in expected.items():
        if k.endswith(".num_batches_tracked") and k not in state:
            state[k] = torch.zeros((), dtype=ref.dtype)
    check_tensors(expected, state, source)
    return {k: state[k].to(ref.dtype) for k, ref in expected.items()}


def load(path: str | Path | None = None) -> InceptionExtractor:
    """The FID Inception extractor from ``path`` or ``$GENZOO_INCEPTION_WEIGHTS``."""
    from genzoo.weights import sha256_file

    p = weights_path(path)
    digest = sha256_file(p)  # before anything is read from the file
    m = _HASH_IN_NAME.search(p.name)
    if m and not digest.startswith(m.group(1)):
        raise WeightsError(
            f"{p}: sha256 {digest[:12]}… does not start with {m.group(1)}, the hash prefix in "
            f"the file's name: the file is incomplete or corrupt (the official one is {URL})"
        )
    state = check_state(read_state(p), str(p))
    with torch.device("meta"):
        net = FIDInceptionV3()
    net.load_state_dict(state, strict=True, assign=True)
    official = digest == OFFICIAL_SHA256
    if not official:
        log.warning(
            "%s: sha256 %s… is not that of the official %s (%s…); its features match "
            "published FID/KID only if it holds the same weights (e.g. a faithful conversion)",
            p,
            digest[:12],
            FILE_NAME,
            OFFICIAL_SHA256[:12],
        )
    return InceptionExtractor(net, digest, p, official=official)
