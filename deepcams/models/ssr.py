"""Spatial super-resolution x3 (CAMS grid -> GEOS-CF grid): a pixel-attention residual network.

The cheaper alternative to the shipped `ssr-abpn` (docs/model-card.md compares their skill per cost).

In the spirit of ABPN (attention back-projection) but built for CPU cost: every convolution runs at the
coarse resolution, the 3 x 3 sub-pixels of each cell come out of one late PixelShuffle, and the result is
a residual on the bicubic upsampling of the input. The back-projection step (the output's block means
must give back the input) is applied exactly, outside the network, by the mass-conservation correction.
Attention is a local pixel gate (sigmoid of a 1 x 1 convolution): no global pooling, so a tile's output
does not depend on the tile's size and tiled inference equals untiled inference.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

FACTOR = 3


class PixelAttentionBlock(nn.Module):
    """conv-act-conv, gated by a per-pixel attention map, plus the skip connection."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.gate = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.leaky_relu(self.conv1(x), 0.1))
        return x + y * torch.sigmoid(self.gate(y))


class SpatialSR(nn.Module):
    """(B, 1, h, w) transformed coarse values -> (B, 1, 3h, 3w) transformed fine values."""

    def __init__(self, channels: int = 32, blocks: int = 3):
        super().__init__()
        self.config = {"channels": channels, "blocks": blocks}
        self.head = nn.Conv2d(1, channels, 3, padding=1)
        self.body = nn.Sequential(*[PixelAttentionBlock(channels) for _ in range(blocks)])
        self.tail = nn.Conv2d(channels, FACTOR * FACTOR, 3, padding=1)
        self.shuffle = nn.PixelShuffle(FACTOR)
        # start as the bicubic upsampling: the residual branch begins at zero
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    @property
    def radius(self) -> int:
        """Coarse cells of context each output cell depends on (3 x 3 convolutions in sequence)."""
        return 2 + 2 * self.config["blocks"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # torch's bicubic with align_corners=False puts fine pixel k at coarse position (k - 1) / 3,
        # exactly the grids' alignment (fine pixel 3i + 1 at the centre of coarse cell i)
        base = F.interpolate(x, scale_factor=FACTOR, mode="bicubic", align_corners=False)
        features = F.leaky_relu(self.head(x), 0.1)
        features = features + self.body(features)
        return base + self.shuffle(self.tail(features))
