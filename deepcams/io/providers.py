"""Writers in the providers' own file conventions, so generated or simulated data read like real downloads.

CAMS EAC4 as the ADS delivers NetCDF: `pm2p5` in kg m-3, latitude 90 -> -90, longitude 0 .. 359.25, the
time dimension `valid_time` (newer files) or `time` (older). GEOS-CF: `PM25_RH35_GCC` in ug m-3 on lat/lon,
hourly means stamped at HH:30 (tavg1hr) or instants on the hour.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr

from deepcams.grids import wrap_lon
from deepcams.io.conventions import TIME_ENCODING, check_canonical
from deepcams.io.readers import CAMS_VARIABLE, GEOSCF_VARIABLE
from deepcams.io.writers import to_netcdf


def cams_layout(ds: xr.Dataset, time_name: Literal["valid_time", "time"] = "valid_time") -> xr.Dataset:
    """Canonical -> CAMS EAC4 NetCDF layout."""
    pm25 = check_canonical(ds)
    lon360 = wrap_lon(pm25["lon"].values, 0.0)
    da = (
        (pm25 * np.float32(1e-9))
        .astype("float32")
        .assign_coords(lon=lon360)
        .sortby("lon")
        .sortby("lat", ascending=False)
    )
    da = da.rename(time=time_name, lat="latitude", lon="longitude")
    da.attrs = {
        "units": "kg m**-3",
        "long_name": "Particulate matter d < 2.5 um",
        "standard_name": "unknown",
        "GRIB_paramId": 210073,
    }
    out = xr.Dataset({CAMS_VARIABLE: da})
    out["latitude"].attrs = {"units": "degrees_north", "standard_name": "latitude", "long_name": "latitude"}
    out["longitude"].attrs = {"units": "degrees_east", "standard_name": "longitude", "long_name": "longitude"}
    out[time_name].attrs = {"standard_name": "time", "long_name": "time"}
    out.attrs = {
        "Conventions": "CF-1.7",
        "institution": "European Centre for Medium-Range Weather Forecasts",
        **{k: v for k, v in ds.attrs.items() if k in ("history", "source_note", "attribution")},
    }
    return out


def geoscf_layout(ds: xr.Dataset, stamp: Literal["half-past", "on-the-hour"] = "half-past") -> xr.Dataset:
    """Canonical -> GEOS-CF NetCDF layout; `half-past` stamps hour HH's mean at HH:30 as tavg1hr files do."""
    pm25 = check_canonical(ds)
    da = pm25.astype("float32").rename("PM25_RH35_GCC")
    if stamp == "half-past":
        da = da.assign_coords(time=da["time"].values + np.timedelta64(30, "m"))
    da.attrs = {
        "units": "ug m-3",
        "long_name": "Particulate matter with diameter below 2.5 um (RH=35%)",
        "standard_name": "pm25_rh35_gcc",
    }
    out = xr.Dataset({GEOSCF_VARIABLE: da})
    out["lat"].attrs = {"units": "degrees_north", "long_name": "latitude"}
    out["lon"].attrs = {"units": "degrees_east", "long_name": "longitude"}
    out.attrs = {
        "Conventions": "CF-1.0",
        "Title": "GEOS-CF, hourly averaged chemistry (chm_tavg_1hr_g1440x721_v1)",
        **{k: v for k, v in ds.attrs.items() if k in ("history", "source_note", "attribution")},
    }
    return out


def _write(
    ds: xr.Dataset, path: str | os.PathLike, time_name: str, tile: tuple[int, int] | None = None
) -> Path:
    # one frame a chunk, as the providers' files are read: frame by frame; or `tile` (lat, lon) pixels
    # of a frame a chunk, for a file read by region (reading a region decompresses only its tiles)
    encoding = {
        name: {
            "zlib": True,
            "complevel": 4,
            "shuffle": True,
            "_FillValue": np.float32(np.nan),
            "chunksizes": (1, *(var.shape[1:] if tile is None else map(min, var.shape[1:], tile))),
        }
        for name, var in ds.data_vars.items()
    }
    encoding[time_name] = dict(TIME_ENCODING)
    return to_netcdf(ds, path, encoding=encoding)


def to_cams_netcdf(
    ds: xr.Dataset, path: str | os.PathLike, time_name: Literal["valid_time", "time"] = "valid_time"
) -> Path:
    """Write canonical data as a CAMS EAC4 NetCDF file (as the ADS delivers it), atomically."""
    return _write(cams_layout(ds, time_name), path, time_name)


def to_geoscf_netcdf(
    ds: xr.Dataset,
    path: str | os.PathLike,
    stamp: Literal["half-past", "on-the-hour"] = "half-past",
    tile: tuple[int, int] | None = None,
) -> Path:
    """Write canonical data as a GEOS-CF NetCDF file, atomically; chunked a frame, or `tile` pixels of one."""
    return _write(geoscf_layout(ds, stamp), path, "time", tile)
