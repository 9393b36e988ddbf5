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

# ug m-3: the range where PM2.5 lies (clean marine air .. the worst wildfire smoke, with margin); a field
# whose largest value falls outside it is in other units than it states (kg m-3 is 1e9 ug m-3)
PLAUSIBLE = (1.0e-3, 1.0e5)

FLOAT32_MAX = float(np.finfo("float32").max)

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
    scaled = values.astype("float64") * factor if factor != 1.0 else values
    if scaled.dtype.itemsize > 4:
        # beyond float32 a value would turn into inf (with a numpy warning); keep it finite and huge, so the
        # range check (`check_plausible`) names it for what it is: out of range for PM2.5
        huge = np.isfinite(scaled) & (np.abs(scaled) > FLOAT32_MAX)
        scaled = scaled.where(~huge, np.sign(scaled) * FLOAT32_MAX)
    pm25 = scaled.astype("float32")
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


def check_plausible(values: np.ndarray, what: str = "input") -> None:
    """Refuse PM2.5 values (ug m-3, NaN ignored) whose magnitude no real field has: a units slip.

    The test is on the largest absolute value, so clean regions and the small negative values of
    reanalyses pass; an all-zero field carries no magnitude and passes too.
    """
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    low, high = PLAUSIBLE
    if top > high:
        raise DeepcamsError(
            f"{what} values reach {top:.3g} {UNITS}, out of range for PM2.5 (at most about {high:g}); are they "
            "in ug m-3 but labelled kg m-3? state the units (--units 'ug m-3'), or pass allow_implausible"
        )
    if 0.0 < top < low:
        raise DeepcamsError(
            f"{what} values are at most {top:.3g} {UNITS}, below any PM2.5 field (about {low:g} or more); are "
            "they in kg m-3 but labelled ug m-3? state the units (--units 'kg m-3'), or pass allow_implausible"
        )
