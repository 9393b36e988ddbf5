"""Coastlines and country borders from Natural Earth (public domain), bundled with the package.

The lines are stored as NaN-separated lon/lat arrays (`scripts/build_coastlines.py` makes the file), read
once per process and drawn as one path each, which renders far faster than per-feature geometries.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import numpy as np

ATTRIBUTION = "Coastlines and borders: Natural Earth (public domain), naturalearthdata.com"
SCALES = ("110m", "50m")


@cache
def _arrays() -> dict[str, np.ndarray]:
    with (files("deepcams") / "data" / "natural_earth_lines.npz").open("rb") as handle:
        with np.load(handle) as content:
            return {name: content[name] for name in content.files if name != "attribution"}


def lines(
    layer: str = "coastline",
    scale: str = "50m",
    lon_min: float = -180.0,
    lon_max: float = 180.0,
    lat_min: float = -90.0,
    lat_max: float = 90.0,
    margin: float = 5.0,
) -> np.ndarray:
    """(n, 2) lon/lat of a layer within a box (plus `margin`), copied by +-360 deg where the box passes +-180.

    Points outside the box become NaN breaks, so a regional map sends only its own lines to the browser.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}")
    base = _arrays()[f"{layer}_{scale}"]
    shifts = [s for s in (-360.0, 0.0, 360.0) if lon_min < 180.0 + s and lon_max > -180.0 + s]
    gap = np.full((1, 2), np.nan, dtype=base.dtype)
    parts = []
    for shift in shifts:
        parts += [base + np.array([shift, 0.0], dtype=base.dtype), gap]
    out = np.concatenate(parts)
    outside = (
        (out[:, 0] < lon_min - margin)
        | (out[:, 0] > lon_max + margin)
        | (out[:, 1] < lat_min - margin)
        | (out[:, 1] > lat_max + margin)
    )
    out[outside] = np.nan
    gaps = np.isnan(out[:, 0])
    keep = ~gaps | ~np.concatenate([[True], gaps[:-1]])  # one NaN row per break is enough
    return out[keep]
