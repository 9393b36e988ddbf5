"""Named downscaling methods: a temporal part (3-hourly -> hourly) and a spatial part (x3).

Names used everywhere (CLI, app, benchmarks) are `SPATIAL-TEMPORAL` pairs of baselines, such as the
paper's `bicubic-linear`, and the learned models (`deepcams`). Learned methods are registered by a
"module:factory" path and imported only when built, so the baselines, the CLI's help and the method list
never import torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from deepcams.errors import DeepcamsError
from deepcams.grids import Footprint
from deepcams.methods.spatial import SpatialBaseline
from deepcams.methods.temporal import TemporalBaseline


class TemporalMethod(Protocol):
    name: str
    context: int

    def interpolate(self, frames: np.ndarray, step: int) -> np.ndarray: ...


class SpatialMethod(Protocol):
    name: str
    halo: int

    def upsample(
        self,
        coarse: np.ndarray,
        row_weights: np.ndarray | None = None,
        tally: MassTally | None = None,
        footprint: Footprint | None = None,
    ) -> np.ndarray:
        """`footprint`: where the block lies (a method with static covariates reads them there)."""


@dataclass
class MassTally:
    """What mass conservation changed during one run: sum |correction| over sum |prediction|.

    The pipeline makes one per run and returns the result with that run's output, so a method object
    shared between runs (the dashboard caches them) keeps no state of its own.
    """

    change: float = 0.0
    mass: float = 0.0

    def add(self, change: float, mass: float) -> None:
        self.change += change
        self.mass += mass

    @property
    def relative(self) -> float:
        return float(self.change / max(self.mass, 1e-30))


@dataclass
class Method:
    """A complete downscaling method; `attrs` (static: weights, device) go into the output's attributes."""

    name: str
    temporal: TemporalMethod
    spatial: SpatialMethod
    attrs: dict[str, Any] = field(default_factory=dict)
    # an ensemble's members (`downscale` runs each and summarises them); temporal and spatial are member 0's
    members: tuple[Method, ...] = ()
    # the members as one method whose networks run them all in each call (`deepcams.models.members`); the
    # ensemble runs it instead of the members one by one where it is set (on CUDA)
    batched: Method | None = None


@dataclass(frozen=True)
class MethodSpec:
    """What a method is before it is built: whether it is learned and which options it takes."""

    name: str
    learned: bool
    options: tuple[str, ...]
    description: str


# the method of `downscale`, the CLI and production when none is named: the shipped DeepCAMS weights
DEFAULT_METHOD = "deepcams"
SPATIAL_BASELINES = ("nearest", "bilinear", "bicubic", "conservative")
TEMPORAL_BASELINES = ("nearest", "linear", "pchip", "cubic")
BASELINES = (
    "bicubic-linear",
    "bilinear-linear",
    "nearest-nearest",
    "conservative-linear",
    "bicubic-pchip",
    "bicubic-cubic",
)

_LEARNED: dict[str, tuple[MethodSpec, str | Callable[..., Method]]] = {}


def register_method(
    name: str, factory: str | Callable[..., Method], options: tuple[str, ...] = (), description: str = ""
) -> None:
    """Make a learned method available under `name`: `factory` is a callable or a lazy "module:function"."""
    _LEARNED[name] = (MethodSpec(name, True, tuple(options), description), factory)


register_method(
    "deepcams",
    "deepcams.models.inference:deepcams_method",
    options=("conserve", "device", "tile", "batch", "tsr_weights", "ssr_weights", "member", "tsr_members"),
    description="DeepCAMS: learned T-SR (3-hourly -> hourly) then learned S-SR (x3), shipped weights",
)
ENSEMBLE_METHOD = "deepcams-ensemble"
register_method(
    ENSEMBLE_METHOD,
    "deepcams.models.inference:deepcams_ensemble",
    options=("conserve", "device", "tile", "batch", "size", "batch_members"),
    description="the DeepCAMS deep ensemble (5 independently trained members): mean, spread and quantiles",
)


def available_methods() -> list[str]:
    """The names the CLI and app offer: learned models first, then the baselines."""
    return sorted(_LEARNED) + list(BASELINES)


def _baseline_parts(name: str) -> tuple[str, str] | None:
    spatial, _, temporal = name.partition("-")
    if spatial in SPATIAL_BASELINES and temporal in TEMPORAL_BASELINES:
        return spatial, temporal
    return None


def method_spec(name: str) -> MethodSpec:
    """Describe the method called `name` without building it (no weights loaded, no torch imported)."""
    if name in _LEARNED:
        return _LEARNED[name][0]
    parts = _baseline_parts(name)
    if parts is None:
        raise DeepcamsError(f"unknown method {name!r}; choose from {', '.join(available_methods())}")
    return MethodSpec(name, False, (), f"{parts[0]} in space, {parts[1]} in time")


def get_method(name: str, **options: Any) -> Method:
    """The method called `name` (`SPATIAL-TEMPORAL` for any pair of baselines)."""
    spec = method_spec(name)
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        takes = ", ".join(spec.options) if spec.options else "no options"
        raise DeepcamsError(f"method {name!r} takes {takes}; got {', '.join(unknown)}")
    if spec.learned:
        return _factory(name)(**options)
    spatial, temporal = _baseline_parts(name)
    return Method(name, TemporalBaseline(temporal), SpatialBaseline(spatial))


def _factory(name: str) -> Callable[..., Method]:
    factory = _LEARNED[name][1]
    if callable(factory):
        return factory
    module, _, attr = factory.partition(":")
    return getattr(importlib.import_module(module), attr)
