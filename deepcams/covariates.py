"""Static surface covariates on the GEOS-CF 0.25 deg grid: what each pixel is made of (land, city, desert).

The spatial network takes them as extra inputs, so it can put the PM2.5 of a coarse cell where its cities
and coasts are. deepcams/data/covariates.nc is built by scripts/build_covariates.py (sources and
attribution in its attributes and deepcams/data/README.md). Like the pipeline's coarse input, any axes on
the grid's nodes can be asked for: longitudes wrap, latitudes beyond a pole mirror about it (the halo).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files

import numpy as np
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import GEOSCF, take

COVARIATES = ("land_fraction", "urban_fraction", "barren_fraction")  # all that the file holds, 0..1


@lru_cache(maxsize=1)
def open_covariates() -> xr.Dataset:
    """The packaged covariates, global, loaded (float32 fractions 0..1, CF attributes)."""
    path = files("deepcams") / "data" / "covariates.nc"
    with xr.open_dataset(path, engine="netcdf4") as ds:
        return ds.astype("float32").load()


def covariates(lat: np.ndarray, lon: np.ndarray, names: Sequence[str] = COVARIATES) -> np.ndarray:
    """(len(names), lat.size, lon.size) float32 on GEOS-CF nodes, e.g. a `Footprint`'s block axes.

    Read-only; the last few blocks asked for are kept (a run asks for the same block every batch).
    """
    unknown = [name for name in names if name not in COVARIATES]
    if unknown:
        raise DeepcamsError(f"unknown covariates {unknown}; known: {', '.join(COVARIATES)}")
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    return _block(lat.tobytes(), lon.tobytes(), tuple(names))


@lru_cache(maxsize=4)
def _block(lat: bytes, lon: bytes, names: tuple[str, ...]) -> np.ndarray:
    lat, lon = np.frombuffer(lat), np.frombuffer(lon)
    if not names:
        return np.zeros((0, lat.size, lon.size), dtype="float32")
    picked = take(open_covariates()[list(names)], GEOSCF, lat, lon)
    out = np.stack([picked[name].values for name in names]).astype("float32")
    out.setflags(write=False)
    return out
