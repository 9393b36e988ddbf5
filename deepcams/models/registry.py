"""Architectures by name: a checkpoint names its architecture and hyperparameters, this builds it."""

from __future__ import annotations

import inspect
import math

import torch
from torch import nn

from deepcams.errors import DeepcamsError
from deepcams.models.abpn import AttentionBackProjection
from deepcams.models.ssr import SpatialSR
from deepcams.models.tsr import TemporalSR

ARCHITECTURES: dict[str, type[nn.Module]] = {
    "tsr-flow": TemporalSR,
    "ssr-pixel-attention": SpatialSR,
    "ssr-abpn": AttentionBackProjection,
}
# which stage each architecture serves
STAGES = {"tsr-flow": "tsr", "ssr-pixel-attention": "ssr", "ssr-abpn": "ssr"}
DEFAULT_ARCHITECTURE = {"tsr": "tsr-flow", "ssr": "ssr-abpn"}  # the shipped weights' (docs/model-card.md)
# Sane ranges of hyperparameters (checkpoint metadata is untrusted: channels=200000 would ask for terabytes);
# a name not listed here must lie within DEFAULT_BOUNDS. The shipped models have tens of thousands of
# parameters; MAX_PARAMETERS leaves room for far larger experiments.
BOUNDS = {
    "channels": (1, 512),
    "stages": (1, 16),
    "blocks": (1, 64),
    "flow_layers": (1, 32),
    "refine_layers": (1, 32),
    "max_flow": (0.0, 64.0),
}
DEFAULT_BOUNDS = (0, 1024)
MAX_PARAMETERS = 50_000_000


def build_model(name: str, config: dict | None = None) -> nn.Module:
    """A fresh model of architecture `name` with hyperparameters `config`."""
    if not isinstance(name, str) or name not in ARCHITECTURES:
        raise DeepcamsError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    config = check_config(name, config)
    size = _parameters(name, config)
    if size > MAX_PARAMETERS:
        raise DeepcamsError(
            f"hyperparameters {config} of {name!r} make {size:,} parameters (at most {MAX_PARAMETERS:,})"
        )
    return ARCHITECTURES[name](**config)


def _parameters(name: str, config: dict) -> int:
    """How many parameters the model would have, counted on the meta device (nothing allocated)."""
    try:
        with torch.device("meta"):
            return sum(p.numel() for p in ARCHITECTURES[name](**config).parameters())
    except (TypeError, ValueError, RuntimeError) as exc:
        raise DeepcamsError(f"bad hyperparameters for architecture {name!r}: {exc}") from None


def check_config(name: str, config: dict | None) -> dict:
    """`config` if every hyperparameter is a number of its default's type within its `BOUNDS`."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise DeepcamsError(f"hyperparameters of {name!r} must be a mapping, got {type(config).__name__}")
    defaults = {
        key: param.default
        for key, param in inspect.signature(ARCHITECTURES[name]).parameters.items()
        if param.default is not inspect.Parameter.empty
    }
    for key, value in config.items():
        wanted = int if isinstance(defaults.get(key), int) else float
        numeric = not isinstance(value, bool) and isinstance(value, int if wanted is int else int | float)
        low, high = BOUNDS.get(key, DEFAULT_BOUNDS)
        if not numeric or not math.isfinite(value) or not low <= value <= high:
            kind = "an integer" if wanted is int else "a number"
            raise DeepcamsError(
                f"hyperparameter {key}={value!r} of {name!r} must be {kind} in {low} .. {high}"
            )
    return config
