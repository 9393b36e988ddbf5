"""CAMS EAC4 PM2.5 from the Atmosphere Data Store through `cdsapi`, one request (and one file) per month.

Monthly requests stay well under the ADS size limits and make the download resumable: a month whose file
is already there (complete, readable) is not asked for again. Files are checked with `deepcams.open_cams`
before they are moved into place.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from deepcams.errors import DeepcamsError
from deepcams.grids import BBox
from deepcams.io import open_cams

DATASET = "cams-global-reanalysis-eac4"
VARIABLE = "particulate_matter_2.5um"
TIMES = [f"{hour:02d}:00" for hour in range(0, 24, 3)]
FIRST_DAY = pd.Timestamp("2003-01-01")  # EAC4 starts here
CREDENTIALS_HELP = (
    "no ADS credentials: create ~/.cdsapirc with 'url: https://ads.atmosphere.copernicus.eu/api' and "
    "'key: <your ADS API key>' (or set CDSAPI_URL and CDSAPI_KEY), and accept the CAMS licence on the ADS "
    "dataset page"
)


def month_requests(start, end, bbox: BBox | str | None = None) -> list[tuple[str, dict]]:
    """(file name, ADS request) for each calendar month of start .. end (days included)."""
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if first > last:
        raise DeepcamsError(f"start {first.date()} is after end {last.date()}")
    if first < FIRST_DAY:
        raise DeepcamsError(f"CAMS EAC4 starts on {FIRST_DAY.date()}; start {first.date()} is before it")
    bbox = BBox.parse(bbox)
    requests = []
    for month in pd.period_range(first, last, freq="M"):
        lo = max(first, month.start_time.normalize())
        hi = min(last, month.end_time.normalize())
        whole = lo == month.start_time.normalize() and hi == month.end_time.normalize()
        name = f"cams_eac4_pm2p5_{month.strftime('%Y%m')}" + ("" if whole else f"_{lo:%d}-{hi:%d}") + ".nc"
        request = {
            "variable": [VARIABLE],
            "date": [f"{lo:%Y-%m-%d}/{hi:%Y-%m-%d}"],
            "time": list(TIMES),
            "data_format": "netcdf",
        }
        if bbox is not None:  # ADS areas are N, W, S, E
            request["area"] = [bbox.north, bbox.west, bbox.south, bbox.east]
        requests.append((name, request))
    return requests


def _client():
    try:
        import cdsapi
    except ImportError:
        raise DeepcamsError("downloading CAMS needs cdsapi: pip install 'deepcams[download]'") from None
    try:
        return cdsapi.Client(quiet=True, progress=False)
    except Exception as exc:  # cdsapi raises a bare Exception for a missing or incomplete configuration
        if "configuration" in str(exc).lower() or "key" in str(exc).lower():
            raise DeepcamsError(CREDENTIALS_HELP) from None
        raise DeepcamsError(f"cannot set up the ADS client: {str(exc).splitlines()[0]}") from None


def _unpack(download: Path) -> None:
    """The ADS may deliver NetCDF inside a zip; leave the single NetCDF file at `download`."""
    if not zipfile.is_zipfile(download):
        return
    with zipfile.ZipFile(download) as archive:
        members = [m for m in archive.namelist() if m.endswith(".nc")]
        if len(members) != 1:
            raise DeepcamsError(f"the ADS sent a zip with {len(members)} NetCDF files; expected one")
        data = archive.read(members[0])
    download.write_bytes(data)


def download_cams(
    start,
    end,
    directory: str | os.PathLike,
    *,
    bbox: BBox | str | None = None,
    client=None,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Download EAC4 PM2.5 for start .. end into `directory`, one NetCDF file per month; returns the paths."""
    requests = month_requests(start, end, bbox)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, request in requests:
        target = directory / name
        paths.append(target)
        if target.exists():
            log(f"{name}: already there, skipped")
            continue
        client = client or _client()
        partial = directory / f".{name}.part"
        log(f"{name}: requesting {request['date'][0]} from the ADS")
        try:
            client.retrieve(DATASET, request, str(partial))
            _unpack(partial)
            ds = open_cams(partial, chunks={})
            days = pd.DatetimeIndex(ds["time"].values).normalize().unique()
            ds.close()
            lo, hi = (pd.Timestamp(d) for d in request["date"][0].split("/"))
            if days.min() != lo or days.max() != hi:
                raise DeepcamsError(f"{name}: the ADS sent days {days.min().date()} .. {days.max().date()}")
            os.replace(partial, target)
        except DeepcamsError:
            raise
        except Exception as exc:  # cdsapi reports refusals (licence, limits, bad request) as bare Exceptions
            raise DeepcamsError(
                f"{name}: the ADS request failed: {str(exc).strip().splitlines()[0]}"
            ) from None
        finally:
            partial.unlink(missing_ok=True)
        log(f"{name}: done")
    return paths
