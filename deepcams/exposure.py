"""Exposure products of an hourly PM2.5 record: daily, monthly and annual means, WHO exceedances, the
diurnal cycle, population-weighted means.

Everything is lazy (Dask): open a `produce` archive with `open_dataset(path, chunks={})`, build the products
with `aggregate`, and `write_exposure` computes them chunk by chunk into NetCDF, Zarr, CSV (at points) or
GeoTIFF (rioxarray, optional). A day counts only with `min_coverage` of its hours (75 %); days are those of
`timezone` (local-time days), as are the diurnal hours.

WHO global air quality guidelines (2021), PM2.5: 15 ug m-3 as a 24-hour mean (not to be exceeded on more
than 3-4 days a year) and 5 ug m-3 as an annual mean.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.io.conventions import check_canonical

WHO_24H = 15.0
WHO_ANNUAL = 5.0
MIN_COVERAGE = 0.75
UNITS = "ug m-3"


def _named(da: xr.DataArray, **attrs) -> xr.DataArray:
    """The variable with exactly these attributes (none inherited from pm25)."""
    da = da.copy()
    da.attrs = attrs
    return da


def _local(times: np.ndarray, timezone: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(times).tz_localize("UTC").tz_convert(timezone).tz_localize(None)


def daily_means(ds: xr.Dataset, timezone: str = "UTC", min_coverage: float = MIN_COVERAGE) -> xr.DataArray:
    """(day, lat, lon) means over the days of `timezone`; NaN where under `min_coverage` of the day's steps."""
    pm25 = check_canonical(ds)
    times = pd.DatetimeIndex(pm25["time"].values)
    step = float(np.median(np.diff(times.as_unit("ns").asi8)) / 3.6e12) if len(times) > 1 else 1.0
    pm25 = pm25.assign_coords(day=("time", _local(times.values, timezone).floor("D")))
    count = pm25.notnull().groupby("day").sum("time")
    daily = pm25.groupby("day").mean("time").where(count >= min_coverage * 24 / step)
    return daily.pipe(_named, units=UNITS, long_name=f"daily mean PM2.5 ({timezone} days)")


def _weighted(field: xr.DataArray, population: xr.DataArray) -> xr.DataArray:
    weight = population.where(field.notnull())
    return (field * population).sum(["lat", "lon"]) / weight.sum(["lat", "lon"])


def _on_grid(population: xr.DataArray, pm25: xr.DataArray) -> xr.DataArray:
    try:
        return population.sel(lat=pm25["lat"], lon=pm25["lon"], method="nearest", tolerance=1e-4)
    except KeyError:
        raise DeepcamsError(
            "the population grid does not hold the product's grid points (regrid it first)"
        ) from None


def aggregate(
    ds: xr.Dataset,
    *,
    timezone: str = "UTC",
    population: xr.DataArray | None = None,
    min_coverage: float = MIN_COVERAGE,
) -> xr.Dataset:
    """The exposure products of an hourly (or 3-hourly) product, lazily; see the module docstring."""
    pm25 = check_canonical(ds)
    daily = daily_means(ds, timezone, min_coverage)
    months = daily.resample(day="MS")
    years = daily.resample(day="YS")
    annual = years.mean().rename(day="year")
    hours = pm25.assign_coords(hour=("time", _local(pm25["time"].values, timezone).hour))
    diurnal = hours.groupby("hour").mean("time")
    out = xr.Dataset(
        {
            "daily_mean": daily,
            "monthly_mean": months.mean().rename(day="month").pipe(_named,
                units=UNITS, long_name="monthly mean of the daily means"
            ),
            "annual_mean": annual.pipe(_named, units=UNITS, long_name="annual mean of the daily means"),
            "days_over_24h_guideline": (daily > WHO_24H).where(daily.notnull()).resample(day="YS").sum()
            .rename(day="year").astype("float32").pipe(_named,
                units="days", long_name=f"days with a daily mean above the WHO 2021 guideline ({WHO_24H:g} {UNITS})"
            ),
            "valid_days": daily.notnull().resample(day="YS").sum().rename(day="year").astype("float32")
            .pipe(_named, units="days", long_name="days with enough hours for a daily mean"),
            "over_annual_guideline": (annual > WHO_ANNUAL).where(annual.notnull()).astype("float32")
            .pipe(_named, units="1", long_name=f"annual mean above the WHO 2021 guideline ({WHO_ANNUAL:g} {UNITS})"),
            "diurnal_cycle": diurnal.pipe(_named, units=UNITS, long_name=f"mean by hour of day ({timezone})"),
            "peak_hour": diurnal.fillna(-np.inf).idxmax("hour").where(diurnal.notnull().any("hour"))
            .astype("float32").pipe(_named, units="hour", long_name=f"hour of the diurnal peak ({timezone})"),
        }
    )  # fmt: skip
    if population is not None:
        pop = _on_grid(population, pm25)
        out["population_weighted_daily_mean"] = _weighted(daily, pop).pipe(_named, units=UNITS)
        out["population_weighted_annual_mean"] = _weighted(annual, pop).pipe(_named, units=UNITS)
        out["population_over_24h_guideline_days"] = (
            (pop * out["days_over_24h_guideline"]).sum(["lat", "lon"]).pipe(_named, units="person days")
        )
    out["lat"].attrs = dict(ds["lat"].attrs)
    out["lon"].attrs = dict(ds["lon"].attrs)
    for name in ("day", "month", "year"):
        out[name].attrs = {
            "long_name": f"{name} ({timezone})" if name == "day" else f"first day of the {name}"
        }
    out.attrs = {
        "title": "PM2.5 exposure products (deepcams aggregate)",
        "source": str(ds.attrs.get("title", ds.attrs.get("source", ""))),
        "timezone": timezone,
        "min_coverage": min_coverage,
        "guidelines": f"WHO global air quality guidelines 2021: {WHO_24H:g} (24 h), {WHO_ANNUAL:g} (annual) {UNITS}",
        "Conventions": "CF-1.8",
    }
    return out


def open_population(path: str | os.PathLike) -> xr.DataArray:
    """A population grid (persons per cell) from a NetCDF file holding one (lat, lon) variable."""
    try:
        ds = xr.open_dataset(path)
    except (OSError, ValueError) as exc:
        raise DeepcamsError(f"cannot read population grid {path}: {str(exc).splitlines()[0]}") from None
    ds = ds.rename({k: v for k, v in {"latitude": "lat", "longitude": "lon"}.items() if k in ds.dims})
    grids = [name for name, var in ds.data_vars.items() if set(var.dims) == {"lat", "lon"}]
    if len(grids) != 1:
        raise DeepcamsError(f"{path}: expected one (lat, lon) variable, found {len(grids)}")
    return ds[grids[0]].fillna(0).load()


def points_table(products: xr.Dataset, points: pd.DataFrame) -> pd.DataFrame:
    """The daily means at named points (columns name, lat, lon), nearest pixel: a tidy CSV-ready table."""
    at = products["daily_mean"].sel(
        lat=xr.DataArray(points["lat"].to_numpy(), dims="point"),
        lon=xr.DataArray(points["lon"].to_numpy(), dims="point"),
        method="nearest",
    )
    table = at.assign_coords(point=points["name"].to_numpy()).to_series().rename("daily_mean").reset_index()
    return table.rename(columns={"point": "name"})[["name", "day", "daily_mean"]]


def write_exposure(
    products: xr.Dataset, path: str | os.PathLike, points: pd.DataFrame | None = None
) -> list[Path]:
    """Compute and write: .nc (CF NetCDF), .zarr, .csv (daily means at `points`), .tif (one COG per
    variable and time step, needs rioxarray). Returns the files written."""
    path = Path(path)
    suffix = path.suffix.lower()
    products = products.drop_encoding()  # the archive's chunks and codecs are not those of the products
    if suffix == ".nc":
        encoding = {name: {"zlib": True, "complevel": 4} for name in products.data_vars}
        products.to_netcdf(path, encoding=encoding)
        return [path]
    if suffix == ".zarr":
        products.to_zarr(path, mode="w", consolidated=True)
        return [path]
    if suffix == ".csv":
        if points is None:
            raise DeepcamsError("CSV output is for points: give them (--points FILE with name,lat,lon)")
        points_table(products, points).to_csv(path, index=False)
        return [path]
    if suffix in (".tif", ".tiff"):
        return _write_geotiffs(products, path)
    raise DeepcamsError(f"unknown output format {path.suffix!r}: use .nc, .zarr, .csv or .tif")


def _write_geotiffs(products: xr.Dataset, path: Path) -> list[Path]:
    try:
        import rioxarray  # noqa: F401  (registers the .rio accessor)
    except ImportError:
        raise DeepcamsError("GeoTIFF output needs rioxarray: pip install rioxarray") from None
    written = []
    for name in ("annual_mean", "days_over_24h_guideline", "over_annual_guideline"):
        for year in products["year"].values:
            layer = products[name].sel(year=year).isel(lat=slice(None, None, -1))  # north up
            layer = layer.rio.set_spatial_dims(x_dim="lon", y_dim="lat").rio.write_crs("EPSG:4326")
            target = path.with_name(f"{path.stem}_{name}_{pd.Timestamp(year):%Y}.tif")
            partial = target.with_name(f".{target.name}.tmp")  # never a half-written file under its name
            try:
                layer.rio.to_raster(partial, driver="COG")
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
            written.append(target)
    return written
