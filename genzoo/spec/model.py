"""The spec envelope: what every zoo entry's ``genzoo.yaml`` holds.

Stage 1 validates this envelope. The ``arch`` block and ``training.options`` are open: stage 2
(:func:`genzoo.spec.loading.resolve_spec`) validates them with the spec classes the family's
plugin registered, so plugins add families without touching this file. No torch here.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,95}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Strict(BaseModel):
    """Base of every spec block: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ImageData(Strict):
    """Images, NCHW in [-1, 1] once loaded."""

    kind: Literal["image"] = Field("image", description="Data kind: image.")
    channels: int = Field(description="Image channels: 1 (grey), 3 (RGB) or 4.", ge=1, le=4)
    size: int = Field(description="Height and width in pixels (square images).", ge=4, le=4096)


class TabularColumn(Strict):
    """One column of a table."""

    name: str = Field(description="Column name as in the source file.", min_length=1)
    type: Literal["continuous", "categorical"] = Field(
        "continuous",
        description="continuous: standardised float; categorical: one-hot over `categories`.",
    )
    categories: list[str] | None = Field(
        None, description="Categories of a categorical column, in one-hot order."
    )

    @model_validator(mode="after")
    def _categories_for_categorical(self) -> TabularColumn:
        if self.type == "categorical" and not self.categories:
            raise ValueError("a categorical column needs a non-empty `categories` list")
        if self.type == "continuous" and self.categories:
            raise ValueError("a continuous column takes no `categories`")
        return self


class TabularData(Strict):
    """Rows of named columns."""

    kind: Literal["tabular"] = Field(description="Data kind: tabular.")
    columns: list[TabularColumn] = Field(
        description="All columns any domain may have.", min_length=1
    )
    label: str | None = Field(None, description="Optional label column (not generated).")


def _data_kind(v: Any) -> str:
    # `kind` may be left out for images (the common case)
    if isinstance(v, dict):
        return str(v.get("kind", "image"))
    return str(getattr(v, "kind", "image"))


DataShape = Annotated[
    Annotated[ImageData, Tag("image")] | Annotated[TabularData, Tag("tabular")],
    Discriminator(_data_kind),
]


class LatentSpec(Strict):
    """The latent space samples are drawn from."""

    dim: int = Field(description="Dimension of the latent vector z.", ge=1, le=65536)
    prior: Literal["normal", "uniform"] = Field(
        "normal", description="Prior of z: standard normal N(0, I) or uniform on [-1, 1]."
    )


class ConditionSpec(Strict):
    """What a conditional or multi-domain model is conditioned on."""

    kind: Literal["class", "domain"] = Field(description="class labels or data domains.")
    names: list[str] = Field(
        description="Display names; their count is the number of classes/domains.", min_length=1
    )

    @property
    def count(self) -> int:
        """Number of classes or domains."""
        return len(self.names)


class LossRef(Strict):
    """A loss from the loss registry, with its weight and parameters."""

    name: str = Field(description="Registered loss name, e.g. non_saturating, gradient_penalty.")
    weight: float = Field(1.0, description="Multiplier of the loss term.", ge=0)
    params: dict[str, float | int | str | bool] = Field(
        default_factory=dict, description="Keyword parameters passed to the loss function."
    )


class OptimizerSpec(Strict):
    """Optimizer for one network."""

    name: Literal["adam", "rmsprop", "sgd"] = Field("adam", description="Optimizer kind.")
    lr: float = Field(2e-4, description="Learning rate.", gt=0, le=10)
    betas: tuple[float, float] = Field(
        (0.5, 0.999), description="Adam betas (beta1, beta2); each in [0, 1)."
    )
    weight_decay: float = Field(0.0, description="L2 weight decay.", ge=0)

    @field_validator("betas")
    @classmethod
    def _betas_range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= b < 1.0 for b in v):
            raise ValueError("each beta must be in [0, 1)")
        return v


class EMASpec(Strict):
    """Exponential moving average of a network's weights (used for sampling)."""

    network: str = Field("G", description="Name of the network to average.")
    beta: float = Field(0.999, description="Decay per step; 0 disables averaging.", ge=0, lt=1)
    start: int = Field(0, description="Step from which averaging begins (copy before).", ge=0)


class TrainingSpec(Strict):
    """The training recipe: a schedule the one generic trainer runs."""

    data: str | None = Field(None, description="Default data source (registry name).")
    data_options: dict[str, Any] = Field(
        default_factory=dict, description="Options of the data source (e.g. classes, split)."
    )
    batch_size: int = Field(64, description="Images per optimizer step (global batch).", ge=1)
    steps: int = Field(1000, description="Number of generator/model steps.", ge=1)
    seed: int = Field(0, description="Seed for weights, data order and noise.", ge=0)
    optimizers: dict[str, OptimizerSpec] = Field(
        default_factory=dict, description="Optimizer per network name (e.g. G, D)."
    )
    losses: dict[str, LossRef] = Field(
        default_factory=dict,
        description="Loss per role, e.g. adversarial, penalty, reconstruction, regularizer.",
    )
    n_critic: int = Field(1, description="Discriminator steps per generator step.", ge=1, le=100)
    ema: EMASpec | None = Field(None, description="EMA of a network for sampling.")
    amp: bool = Field(False, description="Mixed precision (bf16 on CPU, fp16 on CUDA).")
    log_every: int = Field(50, description="Steps between metrics lines.", ge=1)
    sample_every: int = Field(500, description="Steps between sample grids.", ge=1)
    checkpoint_every: int = Field(500, description="Steps between checkpoints.", ge=1)
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Family-specific schedule (validated by the family's training options).",
    )

    @field_validator("losses", mode="before")
    @classmethod
    def _loss_shorthand(cls, v: Any) -> Any:
        # `adversarial: hinge` is short for `adversarial: {name: hinge}`.
        if isinstance(v, dict):
            return {k: ({"name": x} if isinstance(x, str) else x) for k, x in v.items()}
        return v


class WeightSource(Strict):
    """Where an entry's weights come from: a file in the entry, or a file in a Hub repo."""

    file: str = Field(description="File name in the entry folder, or path inside the Hub repo.")
    repo: str | None = Field(
        None,
        description="Hub repo id OWNER/NAME; absent for weights shipped in the entry folder.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$",
    )
    revision: str = Field("main", description="Branch, tag or 40-hex commit id to download.")
    sha256: str | None = Field(
        None, description="sha256 of the file; mandatory for Hub files.", pattern=SHA256_PATTERN
    )
    converter: str | None = Field(
        None, description="Converter (registry name) for a foreign format; None for safetensors."
    )

    @model_validator(mode="after")
    def _hub_needs_pin(self) -> WeightSource:
        if self.repo is not None and self.sha256 is None:
            raise ValueError("a Hub weight source needs a `sha256` pin")
        if self.repo is None and (self.file.startswith("/") or ".." in self.file.split("/")):
            raise ValueError("a local weight file must be a relative path inside the entry")
        return self

    @property
    def is_remote(self) -> bool:
        """True when the weights live on the Hub."""
        return self.repo is not None


class ModelSpec(Strict):
    """A zoo entry's spec: the envelope every family shares."""

    spec_version: Literal[1] = Field(1, description="Version of this spec format.")
    name: str = Field(description="Entry name, lowercase, e.g. dcgan-mnist.", pattern=NAME_PATTERN)
    family: str = Field(description="Model family (registry name), e.g. dcgan, vae, stylegan2.")
    description: str = Field("", description="One line saying what the model is.")
    task: Literal["unconditional", "conditional", "multi-domain"] = Field(
        "unconditional", description="What sampling is conditioned on."
    )
    data: DataShape = Field(description="Shape of the data the model generates.")
    latent: LatentSpec | None = Field(None, description="The latent space z.")
    conditions: ConditionSpec | None = Field(
        None, description="Class labels or domains (conditional / multi-domain tasks)."
    )
    arch: Any = Field(
        default_factory=dict, description="Architecture; validated by the family's own spec."
    )
    training: TrainingSpec | None = Field(None, description="Training recipe.")
    weights: list[WeightSource] = Field(
        default_factory=list, description="Weight sources, first usable one wins."
    )
    license: str = Field("apache-2.0", description="Licence of the weights (SPDX id or name).")
    license_restricted: bool = Field(
        False, description="True for non-commercial or restricted licences: pull asks first."
    )
    paper: str | None = Field(None, description="Paper the model follows (citation or URL).")
    provenance: str | None = Field(None, description="Who made the weights, how and from what.")
    tags: list[str] = Field(default_factory=list, description="Free tags for search.")

    @model_validator(mode="after")
    def _task_matches_conditions(self) -> ModelSpec:
        if self.task == "conditional" and (
            self.conditions is None or self.conditions.kind != "class"
        ):
            raise ValueError("a conditional task needs `conditions` of kind `class`")
        if self.task == "multi-domain" and (
            self.conditions is None or self.conditions.kind != "domain"
        ):
            raise ValueError("a multi-domain task needs `conditions` of kind `domain`")
        if self.task == "unconditional" and self.conditions is not None:
            raise ValueError("an unconditional task takes no `conditions`")
        return self

    @property
    def resolution(self) -> str:
        """Human-readable data shape, e.g. '32x32x1' or '12 columns'."""
        if isinstance(self.data, ImageData):
            return f"{self.data.size}x{self.data.size}x{self.data.channels}"
        return f"{len(self.data.columns)} columns"

    def canonical_json(self) -> str:
        """Deterministic JSON of the spec (for hashing)."""
        import json

        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def spec_hash(self) -> str:
        """sha256 of the canonical JSON, stored in weight metadata."""
        import hashlib

        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def is_valid_name(name: str) -> bool:
    """True when ``name`` is a valid entry name."""
    return re.match(NAME_PATTERN, name) is not None
