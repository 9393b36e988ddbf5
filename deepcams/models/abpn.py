"""Spatial super-resolution x3 by attention back-projection (ABPN-style, Liu et al. 2019): the shipped S-SR.

It has better skill per FLOP than `ssr-pixel-attention` (docs/model-card.md). Features live at BOTH
resolutions and are projected up and down repeatedly, each projection correcting itself by its own
back-projected error (DBPN's up- and down-projection units); the fine features pass a spatial attention
gate, and all fine features are fused at the end. Upsampling is a coarse 3 x 3 convolution followed by
PixelShuffle x3, downsampling a 3 x 3 convolution of stride 3, so both keep the grids' alignment (coarse
cell i covers fine pixels 3i .. 3i + 2 of a patch). The result is a residual on the bicubic upsampling,
and nothing pools globally, so tiled inference equals untiled inference.

With `covariates` = N the network also sees the first N static surface fields of
`deepcams.covariates.COVARIATES` (land, urban, barren fraction) at 0.25 deg: their block means enter the
coarse head next to the PM2.5, and a 1 x 1 encoding of the fine covariates is added to every
up-projection's output, where the network works at fine resolution. Both reach no further than the PM2.5
input does, so `radius` is unchanged. Both enter through zero-initialised layers made after all others:
untrained, a network with covariates is exactly the same seed's network without them, so training moves
away from it only where they help.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from deepcams.covariates import COVARIATES
from deepcams.errors import DeepcamsError

FACTOR = 3


def _act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.1)


class Up(nn.Module):
    """Coarse features (C, h, w) -> fine features (C, 3h, 3w): convolution then PixelShuffle."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * FACTOR * FACTOR, 3, padding=1)
        self.shuffle = nn.PixelShuffle(FACTOR)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.conv(x))


class Down(nn.Module):
    """Fine features -> coarse features: one 3 x 3 convolution of stride 3, aligned with the blocks."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, FACTOR, stride=FACTOR)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class UpProjection(nn.Module):
    """H0 = up(L); the error down(H0) - L is projected up again and added (DBPN)."""

    def __init__(self, channels: int):
        super().__init__()
        self.up1, self.down, self.up2 = Up(channels), Down(channels), Up(channels)

    def forward(self, low: torch.Tensor) -> torch.Tensor:
        high = _act(self.up1(low))
        error = _act(self.down(high)) - low
        return high + _act(self.up2(error))


class DownProjection(nn.Module):
    """L0 = down(H); the error up(L0) - H is projected down again and added (DBPN)."""

    def __init__(self, channels: int):
        super().__init__()
        self.down1, self.up, self.down2 = Down(channels), Up(channels), Down(channels)

    def forward(self, high: torch.Tensor) -> torch.Tensor:
        low = _act(self.down1(high))
        error = _act(self.up(low)) - high
        return low + _act(self.down2(error))


class SpatialAttention(nn.Module):
    """A per-pixel gate on the fine features from a 3 x 3 convolution (ABPN's spatial attention, local)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * (2 * torch.sigmoid(self.conv(x)))  # a neutral gate (logit 0) passes features unchanged


class AttentionBackProjection(nn.Module):
    """(B, 1, h, w) transformed coarse values [and (B, C, 3h, 3w) covariates] -> (B, 1, 3h, 3w)."""

    def __init__(self, channels: int = 16, stages: int = 2, covariates: int = 0):
        super().__init__()
        if not 0 <= covariates <= len(COVARIATES):
            raise ValueError(f"covariates must be 0 .. {len(COVARIATES)} (of {', '.join(COVARIATES)})")
        self.covariates = COVARIATES[:covariates]  # their names, in the order of the input channels
        self.config = {"channels": channels, "stages": stages}
        if covariates:  # old checkpoints (no covariates) keep their config
            self.config["covariates"] = covariates
        self.head = nn.Conv2d(1, channels, 3, padding=1)
        self.ups = nn.ModuleList(UpProjection(channels) for _ in range(stages))
        self.downs = nn.ModuleList(DownProjection(channels) for _ in range(stages - 1))
        self.attention = nn.ModuleList(SpatialAttention(channels) for _ in range(stages))
        self.fuse = nn.Conv2d(channels * stages, channels, 1)
        self.tail = nn.Conv2d(channels, 1, 3, padding=1)
        # start as the bicubic upsampling: the residual branch begins at zero
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)
        if covariates:  # made last, and entering at zero: it starts as the same network without them
            self.head_covariates = nn.Conv2d(covariates, channels, 3, padding=1, bias=False)
            self.encoder = nn.Conv2d(covariates, channels, 1)
            self.inject = nn.ModuleList(nn.Conv2d(channels, channels, 1) for _ in range(stages))
            for layer in (self.head_covariates, *self.inject):
                nn.init.zeros_(layer.weight)
            for layer in self.inject:
                nn.init.zeros_(layer.bias)

    @property
    def radius(self) -> int:
        """Coarse cells of context each output cell depends on: 1 for the head, 2 per up-projection
        and 1 per down-projection (coarse 3 x 3 convolutions), 1 for each attention gate that a
        down-projection follows (its fine 3 x 3 reaches into the neighbouring block), and 1 for the
        last gate and the tail together (two fine pixels). Always more than the bicubic base's 2."""
        stages = self.config["stages"]
        return 1 + 2 * stages + 2 * (stages - 1) + 1

    def forward(self, x: torch.Tensor, covariates: torch.Tensor | None = None) -> torch.Tensor:
        base = F.interpolate(x, scale_factor=FACTOR, mode="bicubic", align_corners=False)
        if self.covariates:
            if covariates is None or covariates.shape[1] != len(self.covariates):
                raise DeepcamsError(f"this network needs the covariates {', '.join(self.covariates)}")
            covariates = covariates.to(x.dtype)
            surface = _act(self.encoder(covariates))
        low = self.head(x)
        if self.covariates:  # their block means (aligned with the cells) next to the PM2.5
            low = low + self.head_covariates(F.avg_pool2d(covariates, FACTOR))
        low = _act(low)
        highs = []
        for k, up in enumerate(self.ups):
            high = up(low)
            if self.covariates:
                high = high + self.inject[k](surface)
            high = self.attention[k](high)
            highs.append(high)
            if k < len(self.downs):
                low = self.downs[k](high)
        fused = _act(self.fuse(torch.cat(highs, dim=1)))
        return base + self.tail(fused)
