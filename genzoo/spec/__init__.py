"""Specs: Pydantic models for zoo entries. Importing this package imports no torch."""

from genzoo.spec.model import (
    ConditionSpec,
    EMASpec,
    ImageData,
    LatentSpec,
    LossRef,
    ModelSpec,
    OptimizerSpec,
    Strict,
    TabularColumn,
    TabularData,
    TrainingSpec,
    WeightSource,
)

__all__ = [
    "ConditionSpec",
    "EMASpec",
    "ImageData",
    "LatentSpec",
    "LossRef",
    "ModelSpec",
    "OptimizerSpec",
    "Strict",
    "TabularColumn",
    "TabularData",
    "TrainingSpec",
    "WeightSource",
]
