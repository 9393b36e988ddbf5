"""GEOS-CF hourly PM2.5 over the NCCS HTTP data portal, kept as one small NetCDF file per day.

The portal serves one global file per hour and collection (e.g. `chm_tavg_1hr_g1440x721_v1`, all chemistry
species at the surface), stamped HH:30. Each hour is fetched, reduced to `PM25_RH35_GCC` (and the bbox),
and a day's 24 hours are written together in GEOS-CF's own conventions, then the hourly files are removed.
A day whose file is there is skipped, so an interrupted download resumes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import BBox, select_region
from deepcams.io import open_geoscf
from deepcams.io.providers import to_geoscf_netcdf

BASE_URL = "https://portal.nccs.nasa.gov/datashare/gmao/geos-cf/v1/ana"
COLLECTION = "chm_tavg_1hr_g1440x721_v1"
FIRST_DAY = pd.Timestamp("2018-01-01")


def hourly_urls(day, base_url: str = BASE_URL, collection: str = COLLECTION) -> list[str]:
    """The portal's 24 hourly files of one day (the replay stream `rpl`, files stamped HH:30)."""
    day = pd.Timestamp(day).normalize()
    folder = f"{base_url.rstrip('/')}/Y{day:%Y}/M{day:%m}/D{day:%d}"
    return [f"{folder}/GEOS-CF.v01.rpl.{collection}.{day:%Y%m%d}_{hour:02d}30z.nc4" for hour in range(24)]


def _fetch(url: str, target: Path, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
    except urllib.error.HTTPError as exc:
        raise DeepcamsError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeepcamsError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def _pm25(path: Path, bbox: BBox | None) -> xr.Dataset:
    """PM2.5 of one hourly portal file, canonical (hour labelled by its start), cut to `bbox`."""
    with xr.open_dataset(path) as raw:
        if "lev" in raw.dims and raw.sizes["lev"] == 1:
            raw = raw.isel(lev=0, drop=True)
            reduced = path.with_suffix(".surface.nc")
            raw[["PM25_RH35_GCC"]].to_netcdf(reduced)
            path = reduced
    ds = open_geoscf(path, time_alignment="start", chunks={})
    return (select_region(ds, bbox) if bbox is not None else ds).load()


def download_geoscf(
    start,
    end,
    directory: str | os.PathLike,
    *,
    bbox: BBox | str | None = None,
    base_url: str = BASE_URL,
    collection: str = COLLECTION,
    timeout: float = 120.0,
    log: Callable[[str], None] = print,
) -> tuple[list[Path], dict[str, str]]:
    """Download days start .. end; returns (daily files, {day: why it failed}) and goes on past bad days."""
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if first > last:
        raise DeepcamsError(f"start {first.date()} is after end {last.date()}")
    if first < FIRST_DAY:
        raise DeepcamsError(f"GEOS-CF starts on {FIRST_DAY.date()}; start {first.date()} is before it")
    bbox = BBox.parse(bbox)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    done, failed = [], {}
    for day in pd.date_range(first, last, freq="D"):
        target = directory / f"GEOS-CF.v01.rpl.{collection}.PM25_RH35_GCC.{day:%Y%m%d}.nc"
        if target.exists():
            log(f"{target.name}: already there, skipped")
            done.append(target)
            continue
        with tempfile.TemporaryDirectory(dir=directory, prefix=".geoscf-") as scratch:
            try:
                hours = []
                for url in hourly_urls(day, base_url, collection):
                    hourly = Path(scratch) / url.rsplit("/", 1)[-1]
                    _fetch(url, hourly, timeout)
                    hours.append(_pm25(hourly, bbox))
                    hourly.unlink()
                to_geoscf_netcdf(xr.concat(hours, dim="time"), target)
            except DeepcamsError as exc:
                failed[f"{day:%Y-%m-%d}"] = str(exc)
                log(f"{day:%Y-%m-%d}: FAILED: {exc}")
                continue
        done.append(target)
        log(f"{target.name}: done")
    return done, failed
