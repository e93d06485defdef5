"""A small digit classifier used as the feature space for digit models' metrics.

Trained by ``python -m genzoo_plugins.extractors.train_digits`` on the bundled MNIST subset
(4000 / 1000 stratified split, seed 0); its weights ship as ``digits.safetensors`` beside this
file, pinned by sha256 in :data:`SHA256` and refused when they differ. Features are the 128-d
penultimate activations; inputs are resized to 28×28 grey.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.errors import WeightsError

WEIGHTS = Path(__file__).with_name("digits.safetensors")
SHA256 = "95eb618f3c58e91cedac062d296ee06f2f20f8303ed89d666e7f9c9942438aaa"


class DigitNet(nn.Module):
    """conv(32) → pool → conv(64) → pool → fc(128) → fc(10), with dropout in training."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
        self.drop = nn.Dropout(0.3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """N×1×28×28 in [-1, 1] → N×128."""
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)  # N,32,14,14
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # N,64,7,7
        return F.relu(self.fc1(h.flatten(1)))  # N,128

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.features(x)))


def prepare(x: torch.Tensor) -> torch.Tensor:
    """Any NCHW image batch in [-1, 1] → N×1×28×28 grey."""
    if x.shape[1] == 3:
        x = (x * torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(1, 3, 1, 1)).sum(1, True)
    if x.shape[-2:] != (28, 28):
        x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False, antialias=True)
    return x


class DigitExtractor:
    """Feature extractor and classifier for digit images."""

    name = "digits"

    def __init__(self, net: DigitNet, sha256: str) -> None:
        self.net = net.eval()
        self.sha256 = sha256

    @torch.no_grad()
    def features(self, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """N×128 features of NCHW images in [-1, 1]."""
        return torch.cat(
            [
                self.net.features(prepare(x[i : i + batch_size]))
                for i in range(0, len(x), batch_size)
            ]
        )

    @torch.no_grad()
    def classify(self, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Predicted digit per image."""
        return torch.cat(
            [
                self.net(prepare(x[i : i + batch_size])).argmax(1)
                for i in range(0, len(x), batch_size)
            ]
        )


def load() -> DigitExtractor:
    """The shipped classifier, after checking its sha256 pin."""
    from genzoo.weights import read_tensors, sha256_file

    if not WEIGHTS.is_file():
        raise WeightsError(f"{WEIGHTS}: the digit classifier's weights are missing")
    digest = sha256_file(WEIGHTS)
    if digest != SHA256:
        raise WeightsError(f"{WEIGHTS}: sha256 {digest[:12]}… differs from the pin {SHA256[:12]}…")
    net = DigitNet()
    net.load_state_dict(read_tensors(WEIGHTS))
    return DigitExtractor(net, digest)
