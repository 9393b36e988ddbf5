"""Training data as aligned coarse/fine arrays, cut by longitude band and mixed by share.

Low-resolution inputs come from the project's own operators (`deepcams.grids.coarsen`), the ones the
evaluation uses. Only whole CAMS cells inside a band are kept, so no truth pixel of one band is seen by
another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from deepcams.covariates import covariates
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, GEOSCF, coarsen, take, wrap_lon
from deepcams.io.conventions import check_canonical
from deepcams.recipes import SEQUENCE_HELD_OUT_HOURS, Band, Split
from deepcams.sources import TrainingSet

WHOLE_GLOBE: Band = (-180.0, 180.0)


@dataclass
class Field:
    """One source's frames, aligned: fine (T, 3h, 3w) is the truth for the coarse (T, h, w) blocks."""

    name: str
    coarse: np.ndarray
    fine: np.ndarray | None
    hours: np.ndarray  # hours since the first frame
    lon: np.ndarray  # longitude of each coarse column (local solar time for the temporal stage)
    utc0: float  # hour of the day (UTC) of the first frame
    weight: float = 1.0  # sampling weight per cell-frame (sources are mixed by share, not by size)
    covariates: np.ndarray | None = None  # (len(COVARIATES), 3h, 3w): the static surface of the fine pixels


def _hours(ds: xr.Dataset) -> np.ndarray:
    times = ds["time"].values.astype("datetime64[s]").astype("int64")
    return (times - times[0]) / 3600.0


def _utc0(ds: xr.Dataset) -> float:
    first = ds["time"].values[0].astype("datetime64[s]")
    return float((first - first.astype("datetime64[D]")) / np.timedelta64(1, "h"))


def band_fields(ds: xr.Dataset, bands: Sequence[Band], name: str) -> list[Field]:
    """Coarsen GEOS-CF-like data and cut aligned coarse/fine arrays (and the fine pixels' covariates)
    for each longitude band [W, E).

    Only CAMS cells whose whole 3 x 3 block lies inside the band are kept, so no truth pixel of one band
    is seen by another; the half pole cells are left out (their blocks are not 3 x 3).
    """
    check_canonical(ds)
    if not GEOSCF.contains(ds):
        raise DeepcamsError(f"training data {name!r} is not on the GEOS-CF 0.25 deg grid")
    coarse = coarsen(ds["pm25"])
    keep_lat = np.abs(coarse["lat"].values) < 90.0 - 1e-6
    lat_c = coarse["lat"].values[keep_lat]
    fields = []
    for west, east in bands:
        lon_c = coarse["lon"].values
        wrapped = (
            wrap_lon(lon_c, west) - west
        )  # the band starts at 0 here, crossing the antimeridian if needed
        width = float(wrap_lon(east, west) - west)
        inside = (wrapped - GEOSCF.step >= -1e-6) & (wrapped + GEOSCF.step < width - 1e-6)
        if width == 0:
            inside[:] = True
        cols = np.flatnonzero(inside)
        if cols.size < 8:
            raise DeepcamsError(f"longitude band {west:g}..{east:g} holds fewer than 8 whole CAMS cells")
        cols = cols[np.argsort(wrapped[cols])]
        lon_band = west + wrapped[cols]
        c = take(coarse, CAMS, lat_c, lon_band).values.astype("float32")
        offsets = GEOSCF.step * np.arange(-1, 2)
        fine_lat = (lat_c[:, None] + offsets).ravel()
        fine_lon = (lon_band[:, None] + offsets).ravel()
        f = take(ds["pm25"], GEOSCF, fine_lat, fine_lon).values.astype("float32")
        surface = covariates(fine_lat, fine_lon).copy()  # writable: torch shares it
        label = f"{name} lon {west:g}..{east:g}"
        fields.append(Field(label, c, f, _hours(ds), lon_band, _utc0(ds), covariates=surface))
    return fields


def sequence_fields(ds: xr.Dataset, name: str, held_out_hours: int) -> tuple[Field, Field]:
    """An hourly CAMS-grid sequence split in time: the last `held_out_hours` hours (plus the input step
    before them, their context) validate, the hours before train; no validated hour is trained on."""
    check_canonical(ds)
    split = ds.sizes["time"] - held_out_hours - 3
    if split < 10:
        raise DeepcamsError(f"{name}: {ds.sizes['time']} hours are too few to hold out {held_out_hours}")
    lon = ds["lon"].values

    def cut(part: xr.Dataset, label: str) -> Field:
        values = part["pm25"].values.astype("float32")
        return Field(f"{name} {label}", values, None, _hours(part), lon, _utc0(part))

    return cut(ds.isel(time=slice(0, split)), "training hours"), cut(
        ds.isel(time=slice(split, None)), "held-out hours"
    )


def mix_by_share(groups: Sequence[tuple[list[Field], float]]) -> list[Field]:
    """All fields, weighted so that each group yields its share of the training patches whatever its
    size (a few real frames would otherwise drown in days of synthetic world); by size within a group."""
    total = sum(share for fields, share in groups if fields)
    out = []
    for fields, share in groups:
        cells = sum(f.coarse.size for f in fields)
        for f in fields:
            f.weight = share / total / cells
            out.append(f)
    return out


def split_fields(
    sets: Iterable[TrainingSet], stage: str, split: Split, synthetic_share: float
) -> tuple[list[Field], list[Field]]:
    """Training fields from every set and validation fields from the real ones.

    Real GEOS-CF-grid sets are cut into the training and validation bands; real hourly sequences on the
    CAMS grid (temporal stage only) are split in time (`sequence_fields`). The synthetic world holds no real
    data, so next to real sets it trains on the whole globe (its own Europe, Africa and East Asia too) and
    yields `synthetic_share` of the patches; alone, it is split by band like real data.
    """
    real_train, real_val, synthetic = [], [], None
    for source in sets:
        if source.synthetic:
            synthetic = source
        elif source.hourly:
            if stage == "tsr":  # a real hourly sequence: split in time, not by band
                train, val = sequence_fields(source.data, source.name, SEQUENCE_HELD_OUT_HOURS)
                real_train.append(train)
                real_val.append(val)
        else:
            real_train += band_fields(source.data, split.train_bands, source.name)
            real_val += band_fields(source.data, [split.val_band], source.name)
    if synthetic is None:
        return real_train, real_val
    name = synthetic.name
    if not real_train:
        return band_fields(synthetic.data, split.train_bands, name), band_fields(
            synthetic.data, [split.val_band], name
        )
    whole = band_fields(synthetic.data, [WHOLE_GLOBE], name)
    return mix_by_share([(real_train, 1.0 - synthetic_share), (whole, synthetic_share)]), real_val
