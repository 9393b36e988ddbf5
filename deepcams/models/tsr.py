"""Temporal super-resolution (3-hourly -> hourly on the CAMS grid): XVFI-style flow-based interpolation.

Between two consecutive frames I0 and I1 the network estimates bidirectional motion coarse to fine on a
feature pyramid, with ONE flow module shared by every scale (as XVFI does, so the number of scales can
grow with the motion without new weights). The flows to an intermediate time t come from the quadratic
approximation of Super SloMo (Jiang et al. 2018) rather than XVFI's complementary flow reversal (cheaper,
and motion over 3 h on the 0.75 deg grid is a cell or two). Both frames are warped to t, blended with a
learned occlusion/blend map and refined by a residual. Only the two bracketing frames are used: no
neighbouring context frames, so every interval is independent and the first and last intervals of a run
need no padding in time.

With its last layers at zero the network is exactly linear interpolation, which training starts from.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warp: out(p) = x(p + flow(p)), flow (B, 2, H, W) in pixels (dx along lon, dy along lat).

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


def _block(cin: int, cout: int, channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, channels, 3, padding=1),
        nn.LeakyReLU(0.1),
        nn.Conv2d(channels, channels, 3, padding=1),
        nn.LeakyReLU(0.1),
        nn.Conv2d(channels, cout, 3, padding=1),
    )


class TemporalSR(nn.Module):
    """Frames (B, 1, H, W) in transformed units and t (B,) in (0, 1) -> the frame at t."""

    def __init__(self, channels: int = 24, scales: int = 3):
        super().__init__()
        self.config = {"channels": channels, "scales": scales}
        self.encoder = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1),
            nn.LeakyReLU(0.1),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.LeakyReLU(0.1),
        )
        self.flow = _block(4 * channels + 4, 4, channels)  # shared by all scales
        self.synth = _block(9, 2, channels)  # occlusion/blend logit and residual
        for last in (self.flow[-1], self.synth[-1]):
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def flows(self, i0: torch.Tensor, i1: torch.Tensor) -> torch.Tensor:
        """Bidirectional flows (B, 4, H, W): F01 then F10, estimated coarse to fine."""
        f0, f1 = self.encoder(i0), self.encoder(i1)
        pyramid = [(f0, f1)]
        for _ in range(self.config["scales"] - 1):
            f0 = F.avg_pool2d(f0, 2, ceil_mode=True)
            f1 = F.avg_pool2d(f1, 2, ceil_mode=True)
            pyramid.append((f0, f1))
        flow = None
        for f0, f1 in reversed(pyramid):
            if flow is None:
                flow = f0.new_zeros(f0.shape[0], 4, *f0.shape[-2:])
            else:
                scale = torch.tensor(
                    [f0.shape[-1] / flow.shape[-1], f0.shape[-2] / flow.shape[-2]] * 2,
                    device=flow.device,
                    dtype=flow.dtype,
                ).view(1, 4, 1, 1)
                flow = F.interpolate(flow, size=f0.shape[-2:], mode="bilinear", align_corners=False) * scale
            f01, f10 = flow[:, :2], flow[:, 2:]
            inputs = torch.cat((f0, f1, warp(f1, f01), warp(f0, f10), flow), dim=1)
            flow = flow + self.flow(inputs)
        return flow

    def synthesize(
        self, i0: torch.Tensor, i1: torch.Tensor, flow: torch.Tensor, t: torch.Tensor
    ) -> torch.Tensor:
        """The frame at t from the two frames and their flows."""
        t = t.view(-1, 1, 1, 1).to(i0.dtype)
        f01, f10 = flow[:, :2], flow[:, 2:]
        ft0 = -(1 - t) * t * f01 + t * t * f10
        ft1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10
        w0, w1 = warp(i0, ft0), warp(i1, ft1)
        tmap = t.expand_as(i0)
        out = self.synth(torch.cat((i0, i1, w0, w1, ft0, ft1, tmap), dim=1))
        visible = torch.sigmoid(out[:, :1])
        a0, a1 = (1 - t) * visible, t * (1 - visible)
        return (a0 * w0 + a1 * w1) / (a0 + a1 + 1e-6) + out[:, 1:]

    def forward(self, i0: torch.Tensor, i1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.synthesize(i0, i1, self.flows(i0, i1), t)
