"""Temporal baselines, 3-hourly -> hourly: nearest, linear, monotone cubic (PCHIP), Keys cubic.

They take frames (T, ...) at a regular step of `step` hours and return (1 + (T - 1) * step, ...) hourly
frames from the first to the last input time; the output equals the input at the input times.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

from deepcams.methods.spatial import keys_kernel


class TemporalBaseline:
    """An interpolation baseline along time, usable wherever a temporal method is expected."""

    def __init__(self, kind: str):
        if kind not in ("nearest", "linear", "pchip", "cubic"):
            raise ValueError(f"unknown temporal baseline {kind!r}")
        self.name = kind
        # extra input steps each side the method reads when the input has them: the cubic's outer taps
        self.context = 1 if kind == "cubic" else 0

    def interpolate(self, frames: np.ndarray, step: int, times=None, lon=None) -> np.ndarray:
        """Hourly frames; `times` and `lon` (where and when the frames lie) are not needed by a baseline."""
        count = frames.shape[0]
        hours = np.arange(1 + (count - 1) * step) / step  # output positions in input-step units
        if count == 1:
            return frames.astype("float32").copy()
        if self.name == "cubic":
            out = np.maximum(keys_cubic(frames, hours), 0.0)
        elif self.name == "pchip" and count > 2:
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


def with_linear_edges(frames: np.ndarray) -> np.ndarray:
    """The frames with one more at each end along axis 0, extrapolated linearly from the two nearest.

    Keys cubic convolution reproduces a straight line exactly, so with these edges two frames give plain
    linear interpolation and a run's first and last intervals lose nothing to a made-up neighbour.
    """
    if frames.shape[0] < 2:
        return np.concatenate([frames[:1], frames, frames[-1:]])
    return np.concatenate([2 * frames[:1] - frames[1:2], frames, 2 * frames[-1:] - frames[-2:-1]])


def keys_cubic(frames: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Keys cubic convolution along axis 0 at fractional `positions` (in frame units), edges extended
    linearly (`with_linear_edges`).

    Four frames around each instant, as PCHIP, but not monotone-limited: on real hourly PM2.5 sequences
    it follows curvature better (docs/model-card.md). It can overshoot below 0; callers keep it >= 0.
    """
    padded = with_linear_edges(np.asarray(frames, dtype="float64"))
    count = frames.shape[0]
    left = np.clip(np.floor(positions).astype(int), 0, max(count - 2, 0))
    frac = positions - left
    out = np.zeros((positions.size,) + frames.shape[1:], dtype="float64")
    for tap in (-1, 0, 1, 2):
        weight = keys_kernel(frac - tap).reshape((-1,) + (1,) * (frames.ndim - 1))
        out += weight * padded[np.clip(left + tap + 1, 0, count + 1)]
    return out
