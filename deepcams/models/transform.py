"""The value transform the networks work in: asinh, linear near zero and logarithmic for large values.

PM2.5 spans 0.01 to over 3000 ug m-3; asinh(x / scale) compresses that range to about 0 .. 9 without
clipping anything (it is invertible everywhere, negative values included).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch


@dataclass(frozen=True)
class AsinhTransform:
    """y = asinh(x / scale); `scale` (ug m-3) is where the transform turns from linear to logarithmic."""

    scale: float = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.asinh(x / self.scale)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return torch.sinh(y) * self.scale

    def to_dict(self) -> dict:
        return {"name": "asinh", **asdict(self)}

    @classmethod
    def from_dict(cls, spec: dict) -> AsinhTransform:
        if spec.get("name") != "asinh":
            from deepcams.errors import DeepcamsError

            raise DeepcamsError(f"unknown value transform {spec.get('name')!r} in checkpoint")
        return cls(scale=float(spec["scale"]))
