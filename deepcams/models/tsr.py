"""Temporal super-resolution (3-hourly -> hourly on the CAMS grid): a flow-based correction of cubic interpolation.

Inputs are four consecutive input frames (the interval's two plus the neighbours before and after, as a
cubic interpolant uses), the fraction t of the interval, the local solar time at t of each cell (as sin and
cos: PM2.5 follows the boundary layer's and emissions' daily cycle, which two 3-hourly frames cannot show)
and the Keys cubic interpolation of the four frames, the base. As in XVFI-style frame interpolation, a flow
module estimates the motion between the bracketing frames and warps both to t; a refinement network then
predicts a correction to the base from all of it. Its last layer starts at zero, so an untrained network is
exactly the cubic base, and training only has to learn what cubic interpolation misses.

The motion is bounded (`max_flow` cells over an interval) and every layer is a 3 x 3 convolution, so each
output cell depends on input cells at most `radius` cells away: the inference code uses that to keep a
missing input value from spreading beyond the cells whose inputs it really reaches.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

FEATURES = 11  # four frames, base, two warped frames, t, solar sin/cos, and the squared motion


def warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warp: out(p) = x(p + flow(p)), flow (B, 2, H, W) in cells (dx along lon, dy along lat).

    Sampling positions are computed in float32 even under float16 autocast: in float16 a position near
    column 400 of a 480-column grid is only resolved to a quarter of a cell.
    """
    dtype = x.dtype
    x, flow = x.float(), flow.float()
    _, _, height, width = x.shape
    ys = torch.arange(height, device=x.device, dtype=x.dtype)
    xs = torch.arange(width, device=x.device, dtype=x.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    px = gx + flow[:, 0]
    py = gy + flow[:, 1]
    grid = torch.stack(
        (2 * px / max(width - 1, 1) - 1, 2 * py / max(height - 1, 1) - 1),
        dim=-1,
    )
    with torch.autocast(x.device.type, enabled=False):
        out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out.to(dtype)


def _convs(cin: int, cout: int, channels: int, layers: int) -> nn.Sequential:
    """`layers` 3 x 3 convolutions (reach: `layers` cells), the last one starting at zero."""
    modules: list[nn.Module] = []
    width = cin
    for _ in range(layers - 1):
        modules += [nn.Conv2d(width, channels, 3, padding=1), nn.LeakyReLU(0.1, inplace=True)]
        width = channels
    last = nn.Conv2d(width, cout, 3, padding=1)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(*modules, last)


class TemporalSR(nn.Module):
    """(frames (B, 4, H, W), base (B, 1, H, W), t (B,), solar (B, 2, H, W)) -> the frame at t, all transformed.

    `frames` are the input frames at interval positions -1, 0, 1, 2; the output lies between 0 and 1.
    """

    def __init__(
        self, channels: int = 24, flow_layers: int = 3, refine_layers: int = 3, max_flow: float = 1.5
    ):
        super().__init__()
        self.config = {
            "channels": channels,
            "flow_layers": flow_layers,
            "refine_layers": refine_layers,
            "max_flow": max_flow,
        }
        self.flow = _convs(4, 2, channels, flow_layers)
        self.refine = _convs(FEATURES, 1, channels, refine_layers)
        self.max_flow = float(max_flow)
        # a warped value at q reads frames within max(flow reach, displacement + bilinear neighbour) of q;
        # the refinement adds its own reach
        self.radius = refine_layers + max(flow_layers, int(max_flow) + 1)

    def motion(self, frames: torch.Tensor) -> torch.Tensor:
        """Motion (B, 2, H, W) in cells from frame 0 to frame 1, bounded by `max_flow`."""
        return self.max_flow * torch.tanh(self.flow(frames))

    def forward(
        self,
        frames: torch.Tensor,
        base: torch.Tensor,
        t: torch.Tensor,
        solar: torch.Tensor,
        interval: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """`interval` (B,) gives each hour's row of `frames`: the hours of one interval share its frames
        and motion, computed once (the motion is half a T-SR's work); None: a row of `frames` per hour."""
        t = t.view(-1, 1, 1, 1).to(frames.dtype)
        flow = self.motion(frames)
        if interval is not None:
            frames, flow = frames[interval], flow[interval]
        # content at p at time t was at p - t * flow in frame 0 and at p + (1 - t) * flow in frame 1
        w0 = warp(frames[:, 1:2], -t * flow)
        w1 = warp(frames[:, 2:3], (1 - t) * flow)
        speed = flow.square().sum(
            dim=1, keepdim=True
        )  # squared: the square root's gradient at rest is infinite
        inputs = torch.cat((frames, base, w0, w1, t.expand_as(base), solar, speed), dim=1)
        return base + self.refine(inputs)
