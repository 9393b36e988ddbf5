"""One production day, as a Dask task: read its input frames, downscale, write its region, then its record.

The function runs on a worker and takes only plain values and a `BBox` (a frozen dataclass, which
pickles), so any scheduler can ship it. Running it twice writes the same bytes, so a task that a dying
worker left half-done is simply run again.
"""

from __future__ import annotations

import functools

import dask
import numpy as np
import pandas as pd

from deepcams._version import __version__
from deepcams.errors import DeepcamsError
from deepcams.grids import BBox
from deepcams.io import open_cams
from deepcams.methods import Method, get_method
from deepcams.pipeline import downscale
from deepcams.production import archive


@functools.lru_cache(maxsize=4)
def _method(name: str, options: tuple[tuple[str, object], ...]) -> Method:
    """Build a method once per worker process (a learned one loads its weights here)."""
    return get_method(name, **dict(options))


def produce_day(
    store: str,
    label: str,
    first: int,
    hours: int,
    files: list[str],
    start: str,
    end: str,
    method: str,
    options: tuple[tuple[str, object], ...],
    bbox: BBox | None,
    units: str | None = None,
) -> dict:
    """Downscale the input frames `start` .. `end` and store the day `label`'s first `hours` hours.

    Returns the completion record (also written to the store after the data).
    """
    times = pd.date_range(pd.Timestamp(label), periods=hours, freq="h")
    # The netCDF C library is not thread-safe, and xarray closes a file left open in whichever thread
    # collects it (on a worker, often the event loop's while the next day's task opens its files). Reading
    # with the synchronous scheduler and closing here keeps every netCDF call on this task's thread.
    with open_cams(files, units=units, chunks={}) as cams, dask.config.set(scheduler="sync"):
        out = downscale(cams, _method(method, options), bbox=bbox, start=start, end=end).sel(time=times)
        values = out["pm25"].values
    if values.shape[0] != hours:
        raise DeepcamsError(f"{label}: produced {values.shape[0]} hours, expected {hours}")
    archive.write_day(store, values, first)
    record = {
        "day": label,
        "first_index": first,
        "hours": hours,
        "inputs": sorted(p.rsplit("/", 1)[-1] for p in files),
        "input_frames": [start, end],
        "method": method,
        "nan_values": int(np.isnan(values).sum()),
        "sha256": archive.checksum(values),
        **{k: out.attrs[k] for k in ("conservation_relative_correction",) if k in out.attrs},
        "deepcams_version": __version__,
    }
    archive.write_record(store, label, record)
    return record
