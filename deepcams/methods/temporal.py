"""Temporal baselines, 3-hourly -> hourly: nearest, linear, monotone cubic (PCHIP).

They take frames (T, ...) at a regular step of `step` hours and return (1 + (T - 1) * step, ...) hourly
frames from the first to the last input time; the output equals the input at the input times.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator


class TemporalBaseline:
    """An interpolation baseline along time, usable wherever a temporal method is expected."""

    context = 0  # extra input steps each side the method would like (baselines need none)

    def __init__(self, kind: str):
        if kind not in ("nearest", "linear", "pchip"):
            raise ValueError(f"unknown temporal baseline {kind!r}")
        self.name = kind

    def interpolate(self, frames: np.ndarray, step: int) -> np.ndarray:
        count = frames.shape[0]
        hours = np.arange(1 + (count - 1) * step) / step  # output positions in input-step units
        if count == 1:
            return frames.astype("float32").copy()
        if self.name == "pchip" and count > 2:
            curve = PchipInterpolator(np.arange(count), frames.astype("float64"), axis=0)
            out = curve(hours)
        elif self.name == "nearest":
            # halfway ties go to the earlier frame
            out = frames[np.clip(np.ceil(hours - 0.5).astype(int), 0, count - 1)]
        else:  # linear, and pchip on two frames (where it is linear)
            left = np.minimum(np.floor(hours).astype(int), count - 2)
            frac = (hours - left).reshape((-1,) + (1,) * (frames.ndim - 1))
            out = frames[left] * (1 - frac) + frames[left + 1] * frac
        out = np.asarray(out, dtype="float32")
        out[::step] = frames  # exact at the input times, whatever the arithmetic did
        return out
