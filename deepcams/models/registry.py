"""Architectures by name: a checkpoint names its architecture and hyperparameters, this builds it."""

from __future__ import annotations

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


def build_model(name: str, config: dict | None = None) -> nn.Module:
    """A fresh model of architecture `name` with hyperparameters `config`."""
    if name not in ARCHITECTURES:
        raise DeepcamsError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    try:
        return ARCHITECTURES[name](**(config or {}))
    except TypeError as exc:
        raise DeepcamsError(f"bad hyperparameters for architecture {name!r}: {exc}") from None
