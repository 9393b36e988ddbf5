"""The canonical layout every reader returns and every writer expects.

Dataset with one variable `pm25` (float32, ug m-3), dims (time, lat, lon), lat ascending, lon in
[-180, 180), CF attributes on the variable and the coordinates, provenance in the global attributes.
"""

from __future__ import annotations

import re

import numpy as np
import xarray as xr

from deepcams._version import __version__
from deepcams.errors import DeepcamsError
from deepcams.grids import lat_coord, lon_coord, wrap_lon

VARIABLE = "pm25"
UNITS = "ug m-3"
PM25_ATTRS = {
    "standard_name": "mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air",
    "long_name": "PM2.5 mass concentration",
    "units": UNITS,
}
TIME_ENCODING = {
    "units": "hours since 2000-01-01 00:00:00",
    "calendar": "proleptic_gregorian",
    "dtype": "float64",
}

# factor to ug m-3 for each mass-per-volume prefix
_PREFIX = {"kg": 1e9, "g": 1e6, "mg": 1e3, "ug": 1.0, "microgram": 1.0, "micrograms": 1.0, "ng": 1e-3}


def units_factor(units: str | None, variable: str) -> float:
    """Factor that turns values in `units` into ug m-3; unknown or missing units are an error."""
    if units is None or str(units).strip() == "":
        raise DeepcamsError(
            f"variable {variable!r} has no units attribute; state the units (e.g. --units 'ug m-3')"
        )
    text = str(units).strip().lower().replace("µ", "u").replace("μ", "u")
    text = re.sub(r"\s+", " ", text).replace("**", "^").replace("^", "")
    match = re.fullmatch(r"([a-z]+)\s*(?:/\s*m3|/\s*m-?3|\s*m-3|\s*m\^?-3|/\s*\(m3\)|\s*per\s*m3)", text)
    if match is None or match.group(1) not in _PREFIX:
        raise DeepcamsError(
            f"variable {variable!r} has unknown units {units!r}; expected a mass per m3 such as 'kg m-3'"
        )
    return _PREFIX[match.group(1)]


def canonical(
    values: xr.DataArray,
    *,
    units: str | None,
    source: str,
    history: str,
    extra_attrs: dict | None = None,
) -> xr.Dataset:
    """Bring a (time, lat, lon) DataArray to the canonical Dataset: units, order, dtype and attributes."""
    missing = {"time", "lat", "lon"} - set(values.dims)
    if missing:
        raise DeepcamsError(f"variable {values.name!r} lacks the dimensions {sorted(missing)}")
    name = values.name
    factor = units_factor(units, str(name))
    values = values.transpose("time", "lat", "lon")
    values = values.assign_coords(
        lon=wrap_lon(values["lon"].values), lat=values["lat"].values.astype("float64")
    )
    values = values.sortby("lat").sortby("lon")
    if np.unique(values["lon"].values).size != values.sizes["lon"]:
        raise DeepcamsError(f"variable {name!r} has repeated longitudes after wrapping to -180..180")
    if values.sizes["time"] > 1 and not np.all(np.diff(values["time"].values) > np.timedelta64(0, "s")):
        raise DeepcamsError(f"variable {name!r} has repeated or unordered time steps")
    # scale in float64 so that kg m-3 -> ug m-3 -> kg m-3 round trips lose no more than float32 rounding
    pm25 = (
        (values.astype("float64") * factor).astype("float32") if factor != 1.0 else values.astype("float32")
    )
    pm25.attrs = dict(PM25_ATTRS)
    pm25.encoding = {}
    ds = xr.Dataset({VARIABLE: pm25})
    ds = ds.assign_coords(lat=lat_coord(ds["lat"].values), lon=lon_coord(ds["lon"].values))
    ds["time"].attrs = {"standard_name": "time", "long_name": "time", "axis": "T"}
    ds.attrs = {
        "Conventions": "CF-1.8",
        "title": f"PM2.5 from {source}",
        "source": source,
        "history": history,
        "deepcams_version": __version__,
        **(extra_attrs or {}),
    }
    return ds


def check_canonical(ds: xr.Dataset) -> xr.DataArray:
    """The `pm25` variable of a canonical Dataset, or a clear error saying what is off."""
    if not isinstance(ds, xr.Dataset) or VARIABLE not in ds:
        raise DeepcamsError(f"expected a Dataset with a {VARIABLE!r} variable (use deepcams.open_* readers)")
    da = ds[VARIABLE]
    if da.dims != ("time", "lat", "lon"):
        raise DeepcamsError(f"{VARIABLE!r} must have dims (time, lat, lon), has {da.dims}")
    if da.attrs.get("units") != UNITS:
        raise DeepcamsError(f"{VARIABLE!r} must be in {UNITS!r}, has {da.attrs.get('units')!r}")
    return da


def pm25_dataset(values: np.ndarray, time, lat: np.ndarray, lon: np.ndarray, attrs: dict) -> xr.Dataset:
    """A canonical Dataset from arrays already in ug m-3 and canonical order (for methods and generators)."""
    ds = xr.Dataset(
        {VARIABLE: (("time", "lat", "lon"), np.asarray(values, dtype="float32"), dict(PM25_ATTRS))},
        coords={"time": time, "lat": lat_coord(lat), "lon": lon_coord(lon)},
        attrs={"Conventions": "CF-1.8", "deepcams_version": __version__, **attrs},
    )
    ds["time"].attrs = {"standard_name": "time", "long_name": "time", "axis": "T"}
    return ds
