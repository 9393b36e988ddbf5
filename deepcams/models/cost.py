"""Model cost in FLOPs per output pixel, counted by torch's FlopCounterMode on a probe input.

The counter sees every convolution and matrix product whatever the architecture, so networks of
different designs are compared on the same footing (docs/model-card.md, benchmarks/). Interpolation,
warping and activations are not counted; the bicubic base of the spatial networks adds 32 FLOPs per
pixel (16 multiply-accumulates), which `spatial_flops_per_pixel` includes.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from deepcams.grids import FACTOR

BICUBIC_FLOPS = 2 * 16
PROBE_CELLS = 64  # side of the probe input in CAMS cells: large enough that borders do not matter


def _count(function, *args) -> int:
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        function(*args)
    return counter.get_total_flops()


def spatial_flops_per_pixel(model: nn.Module) -> float:
    """FLOPs of an S-SR network per GEOS-CF output pixel."""
    x = torch.zeros(1, 1, PROBE_CELLS, PROBE_CELLS)
    surface = torch.zeros(
        1, len(getattr(model, "covariates", ())), FACTOR * PROBE_CELLS, FACTOR * PROBE_CELLS
    )
    extra = (surface,) if surface.shape[1] else ()
    return _count(model, x, *extra) / (FACTOR * FACTOR * PROBE_CELLS**2) + BICUBIC_FLOPS


def temporal_flops_per_cell(model: nn.Module, step: int = 3) -> float:
    """FLOPs of a T-SR network per hourly output frame and CAMS cell: of every `step` hourly frames, the
    input frame is copied and `step - 1` are the network's, which share the interval's motion as
    inference runs them (the cubic base is not counted)."""
    hours = step - 1
    frames = torch.zeros(1, 4, PROBE_CELLS, PROBE_CELLS)
    base = torch.zeros(hours, 1, PROBE_CELLS, PROBE_CELLS)
    solar = torch.zeros(hours, 2, PROBE_CELLS, PROBE_CELLS)
    t = torch.arange(1, step, dtype=torch.float32) / step
    per_interval = _count(model, frames, base, t, solar, torch.zeros(hours, dtype=torch.long))
    return per_interval / step / PROBE_CELLS**2
