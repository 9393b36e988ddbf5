"""Spatial baselines, CAMS grid -> GEOS-CF grid (x3): nearest, bilinear, bicubic, conservative.

They work on numpy arrays (..., h, w) of coarse cells that already carry a halo (the pipeline adds it,
wrapping longitude and mirroring across the poles), and return the fine pixels of every coarse block:
(..., 3h, 3w), where fine pixel 3i + 1 + d (d in -1, 0, 1) sits at coarse position i + d / 3.

The interpolants are separable 1-D kernels applied tap by tap along each axis. This is hand-written
because scipy's cubic (`ndimage.zoom`, `RegularGridInterpolator`) is a B-spline, not the Keys cubic
convolution (a = -0.5) that the DeepCAMS paper's bicubic baseline and MATLAB's imresize use.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from deepcams.grids import FACTOR, apply_taps

KEYS_A = -0.5


def keys_kernel(x: np.ndarray, a: float = KEYS_A) -> np.ndarray:
    """Keys (1981) cubic convolution kernel."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def linear_kernel(x: np.ndarray) -> np.ndarray:
    return np.clip(1 - np.abs(x), 0, None)


@lru_cache(maxsize=64)
def interpolation_taps(n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights (3n, taps) taking n coarse values to the 3n fine pixels of their blocks.

    Near the array edges the taps are clamped to the edge values (the halo makes those pixels irrelevant).
    """
    position = (np.arange(FACTOR * n) - 1) / FACTOR  # coarse coordinate of each fine pixel
    if kind == "nearest":
        index = np.clip(np.rint(position).astype(int), 0, n - 1)[:, None]
        return index, np.ones(index.shape)
    kernel, support = {"bilinear": (linear_kernel, 1), "bicubic": (keys_kernel, 2)}[kind]
    source = np.floor(position).astype(int)[:, None] + np.arange(-support + 1, support + 1)[None, :]
    weight = kernel(position[:, None] - source)
    return np.clip(source, 0, n - 1), weight


def upsample(coarse: np.ndarray, kind: str) -> np.ndarray:
    """Interpolate (..., h, w) coarse cells to (..., 3h, 3w) fine pixels with a separable kernel."""
    rows = apply_taps(coarse.astype("float32"), *interpolation_taps(coarse.shape[-2], kind), axis=-2)
    return apply_taps(rows, *interpolation_taps(coarse.shape[-1], kind), axis=-1).astype("float32")


def block_means(fine: np.ndarray, row_weights: np.ndarray | None = None) -> np.ndarray:
    """Mean over each 3 x 3 block of (..., 3h, 3w) fine pixels, rows weighted by `row_weights`.

    A block whose rows all have weight 0 (halo wholly beyond a pole) has no mean: 0 is returned there.
    """
    rows = np.ones(fine.shape[-2]) if row_weights is None else np.asarray(row_weights, dtype="float64")
    shape = fine.shape[:-2] + (fine.shape[-2] // FACTOR, FACTOR, fine.shape[-1] // FACTOR, FACTOR)
    total = (fine.astype("float64").reshape(shape) * rows.reshape(-1, FACTOR, 1, 1)).sum(axis=(-3, -1))
    count = rows.reshape(-1, FACTOR).sum(axis=1)[:, None] * FACTOR
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def conserve(fine: np.ndarray, coarse: np.ndarray, row_weights: np.ndarray | None = None) -> np.ndarray:
    """Add to every block the constant that makes its mean equal the coarse value (exact, linear)."""
    residual = coarse.astype("float64") - block_means(fine, row_weights)
    correction = np.repeat(np.repeat(residual, FACTOR, axis=-2), FACTOR, axis=-1)
    return (fine + correction).astype("float32")


class SpatialBaseline:
    """An interpolation baseline, usable wherever a spatial method is expected."""

    halo = 2  # coarse cells of context each side (bicubic reaches two cells)

    def __init__(self, kind: str):
        if kind not in ("nearest", "bilinear", "bicubic", "conservative"):
            raise ValueError(f"unknown spatial baseline {kind!r}")
        self.name = kind

    def upsample(
        self, coarse: np.ndarray, row_weights: np.ndarray | None = None, tally=None, footprint=None
    ) -> np.ndarray:
        """`tally` (a learned method's conservation report) and `footprint` (where the block lies, for
        covariates) are accepted for the common interface, unused."""
        if self.name == "conservative":
            return conserve(upsample(coarse, "bicubic"), coarse, row_weights)
        return upsample(coarse, self.name)
