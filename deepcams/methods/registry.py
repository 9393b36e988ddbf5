"""Named downscaling methods: a temporal part (3-hourly -> hourly) and a spatial part (x3).

Names used everywhere (CLI, app, benchmarks) are `SPATIAL-TEMPORAL` pairs of baselines, such as the
paper's `bicubic-linear`, and the learned models registered by `deepcams.models` (`deepcams`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from deepcams.errors import DeepcamsError
from deepcams.methods.spatial import SpatialBaseline
from deepcams.methods.temporal import TemporalBaseline


class TemporalMethod(Protocol):
    name: str
    context: int

    def interpolate(self, frames: np.ndarray, step: int) -> np.ndarray: ...


class SpatialMethod(Protocol):
    name: str
    halo: int

    def upsample(self, coarse: np.ndarray, row_weights: np.ndarray | None = None) -> np.ndarray: ...


@dataclass
class Method:
    """A complete downscaling method; `attrs` go into the output's global attributes."""

    name: str
    temporal: TemporalMethod
    spatial: SpatialMethod
    attrs: dict[str, Any] = field(default_factory=dict)


# the method of `downscale`, the CLI and production when none is named: the shipped DeepCAMS weights
DEFAULT_METHOD = "deepcams"
SPATIAL_BASELINES = ("nearest", "bilinear", "bicubic", "conservative")
TEMPORAL_BASELINES = ("nearest", "linear", "pchip")
BASELINES = ("bicubic-linear", "bilinear-linear", "nearest-nearest", "conservative-linear", "bicubic-pchip")

_FACTORIES: dict[str, Callable[..., Method]] = {}


def register_method(name: str, factory: Callable[..., Method]) -> None:
    """Make `factory(**options)` available under `name` (used by the learned models)."""
    _FACTORIES[name] = factory


def available_methods() -> list[str]:
    """The names the CLI and app offer: learned models first, then the baselines."""
    _load_models()
    return sorted(_FACTORIES) + list(BASELINES)


def get_method(name: str, **options: Any) -> Method:
    """The method called `name` (`SPATIAL-TEMPORAL` for any pair of baselines)."""
    _load_models()
    if name in _FACTORIES:
        return _FACTORIES[name](**options)
    spatial, _, temporal = name.partition("-")
    if spatial in SPATIAL_BASELINES and temporal in TEMPORAL_BASELINES:
        if options:
            raise DeepcamsError(f"method {name!r} takes no options, got {sorted(options)}")
        return Method(name, TemporalBaseline(temporal), SpatialBaseline(spatial))
    raise DeepcamsError(f"unknown method {name!r}; choose from {', '.join(available_methods())}")


def _load_models() -> None:
    """Import the learned models' module, which registers them, when it is installed."""
    try:
        import deepcams.models  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "deepcams.models":
            raise
