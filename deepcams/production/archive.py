"""The archive layout: one Zarr store with its full hourly time axis created up front, one region per day.

Layout (Zarr format 2, whose consolidated metadata every Zarr and NCZarr client reads):
- `pm25` (time, lat, lon) float32 ug m-3, chunks of one day by `tile` x `tile` pixels, so a map reads a
  few chunks and a station's time series one chunk per day; Blosc-zstd, NaN fill (never-written = NaN);
- CF coordinates and global attributes with the provenance (method, weights hash, version, inputs);
- `completed/YYYY-MM-DD.json`: a day's completion record, written (atomically) only after its data. The
  record holds no clock times, so an interrupted and resumed run leaves the same bytes as an undisturbed one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import dask.array
import numpy as np
import pandas as pd
import xarray as xr
import zarr
from numcodecs import Blosc

from deepcams.errors import DeepcamsError
from deepcams.grids import lat_coord, lon_coord
from deepcams.io.conventions import PM25_ATTRS, TIME_ENCODING, VARIABLE
from deepcams.io.writers import write_atomically, writer_gone

RECORDS = "completed"
HOURS_PER_CHUNK = 24
DEFAULT_TILE = 180  # 721 x 1440 -> 5 x 8 tiles of 180 x 180; 24 x 180 x 180 float32 = 3 MiB a chunk
MIN_TILE = 32  # smaller tiles make tens of thousands of chunk files for a few days
# the attributes that must agree between an existing archive and a run that resumes it
IDENTITY = ("method", "bbox", "deepcams_version", "input_files", "tsr_weights_sha256", "ssr_weights_sha256")


def _compressor() -> Blosc:
    return Blosc(cname="zstd", clevel=5, shuffle=Blosc.SHUFFLE)


def create(
    path: str | os.PathLike,
    times: pd.DatetimeIndex,
    lat: np.ndarray,
    lon: np.ndarray,
    attrs: dict,
    tile: int = DEFAULT_TILE,
) -> Path:
    """Write the store's metadata and coordinates for the whole axis (no data), atomically."""
    shape = (len(times), lat.size, lon.size)
    chunks = (HOURS_PER_CHUNK, min(tile, lat.size), min(tile, lon.size))
    empty = dask.array.full(shape, np.nan, dtype="float32", chunks=chunks)
    ds = xr.Dataset(
        {VARIABLE: (("time", "lat", "lon"), empty, dict(PM25_ATTRS))},
        coords={"time": times.values, "lat": lat_coord(lat), "lon": lon_coord(lon)},
        attrs=attrs,
    )
    ds["time"].attrs = {"standard_name": "time", "long_name": "time", "axis": "T"}
    ds[VARIABLE].attrs["coordinates"] = "time lat lon"
    encoding = {
        VARIABLE: {"chunks": chunks, "compressors": (_compressor(),), "_FillValue": np.float32(np.nan)},
        "time": dict(TIME_ENCODING),
        "lat": {"_FillValue": None},
        "lon": {"_FillValue": None},
    }

    def write(tmp: Path) -> None:
        ds.to_zarr(tmp, mode="w", compute=False, encoding=encoding, consolidated=True, zarr_format=2)
        (tmp / RECORDS).mkdir()

    return write_atomically(path, write, directory=True)


def open_archive(path: str | os.PathLike) -> xr.Dataset:
    """The archive as a lazy Dataset (consolidated metadata), or a clear error."""
    path = Path(path)
    if not (path / ".zmetadata").is_file() or not (path / RECORDS).is_dir():
        raise DeepcamsError(
            f"{path} is not a deepcams production archive (no consolidated metadata or records)"
        )
    try:
        return xr.open_zarr(path, consolidated=True, zarr_format=2)
    except Exception as exc:
        raise DeepcamsError(f"cannot read archive {path}: {str(exc).splitlines()[0]}") from None


def check_matches(
    path: str | os.PathLike, times: pd.DatetimeIndex, lat: np.ndarray, lon: np.ndarray, attrs: dict
) -> bool:
    """An existing archive may be resumed only by the same request (same axes, method and inputs).

    The inputs may have grown by files that were unreadable or missing before (a corrupt download
    replaced): True then, and `add_inputs` records them.
    """
    ds = open_archive(path)
    same_axes = (
        ds.sizes["time"] == len(times)
        and np.array_equal(ds["time"].values, times.values)
        and np.allclose(ds["lat"].values, lat)
        and ds.sizes["lon"] == lon.size
        and np.allclose(ds["lon"].values, lon)
    )
    if not same_axes:
        raise DeepcamsError(f"{path} exists with other dates or another region; write to a new archive")
    grown = _inputs(ds.attrs) < _inputs(attrs)
    for key in IDENTITY:
        if ds.attrs.get(key) != attrs.get(key) and not (key == "input_files" and grown):
            raise DeepcamsError(
                f"{path} exists with {key}={ds.attrs.get(key)!r}, this run has {attrs.get(key)!r}; "
                "write to a new archive"
            )
    return grown


def _inputs(attrs: dict) -> set[str]:
    return set(filter(None, str(attrs.get("input_files", "")).split(", ")))


def add_inputs(path: str | os.PathLike, input_files: str) -> None:
    """Record the archive's grown input list (global attribute and consolidated metadata)."""
    group = zarr.open_group(Path(path), mode="r+", zarr_format=2)
    group.attrs["input_files"] = input_files
    with warnings.catch_warnings():  # the records folder is no Zarr node, as intended
        warnings.filterwarnings("ignore", message="Object at .* is not recognized", category=UserWarning)
        zarr.consolidate_metadata(Path(path), zarr_format=2)


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[Path]:
    """Hold `<archive>.lock` (this run's host and pid) while a run writes the archive, so that a second
    run on the same archive refuses at once instead of computing every day again. A lock whose process
    has ended on this host (a killed run) is taken over."""
    lock = Path(f"{os.fspath(path).rstrip(os.sep)}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "started": pd.Timestamp.now("UTC").isoformat()}
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            state, holder = _lock_state(lock)
            if state == "stale":
                lock.unlink(missing_ok=True)
            if state != "held":
                continue
            raise DeepcamsError(
                f"{path} is being written by another run (pid {holder.get('pid')} on {holder.get('host')} "
                f"since {holder.get('started')}); wait for it to finish, or delete {lock} if it is gone"
            ) from None
        with os.fdopen(fd, "w") as handle:
            json.dump(owner, handle)
        break
    else:
        raise DeepcamsError(f"cannot take the lock {lock} of {path}")
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def _lock_state(lock: Path) -> tuple[str, dict]:
    """("free" | "stale" | "held", owner). A lock left empty or garbled by a run killed while writing it
    is stale after a minute."""
    try:
        text = lock.read_text()
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return "free", {}
    try:
        holder = json.loads(text)
    except ValueError:
        holder = None
    if not isinstance(holder, dict) or not str(holder.get("pid", "")).isdigit():
        return ("stale" if age > 60 else "held"), {"pid": "?", "host": "?", "started": "?"}
    gone = writer_gone(str(holder.get("host")), int(holder["pid"]))
    return ("stale" if gone else "held"), holder


def write_day(path: str | os.PathLike, values: np.ndarray, first: int) -> None:
    """Write one day's hours into its own region (its own chunks: no other task touches them).

    Zarr directly rather than xarray's region writes: the metadata is final since creation, and the array
    alone is opened (xarray would list the whole hierarchy, records included, for every day).
    """
    array = zarr.open_array(Path(path) / VARIABLE, mode="r+", zarr_format=2)
    array[first : first + values.shape[0]] = values.astype("float32", copy=False)


def remove_temporaries(path: str | os.PathLike) -> int:
    """Delete what writers killed mid-write left behind (Zarr's `*.partial`, hidden record temporaries)."""
    root = Path(path)
    stale = [*root.glob("*/*.partial"), *(root / RECORDS).glob(".*")]
    for item in stale:
        item.unlink(missing_ok=True)
    return len(stale)


def checksum(values: np.ndarray) -> str:
    """SHA-256 of a day's float32 values, kept in its record so `verify` can check the stored bytes."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f4").tobytes()).hexdigest()


def record_path(path: str | os.PathLike, label: str) -> Path:
    return Path(path) / RECORDS / f"{label}.json"


def write_record(path: str | os.PathLike, label: str, record: dict) -> None:
    """Mark a day complete: a JSON record moved into place only once the day's data is written."""
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    write_atomically(record_path(path, label), lambda tmp: tmp.write_text(text))


def read_records(path: str | os.PathLike) -> dict[str, dict]:
    """The completion records by day label; an unreadable record counts as not complete."""
    records = {}
    for item in sorted((Path(path) / RECORDS).glob("[!.]*.json")):  # not the hidden temporaries
        try:
            records[item.stem] = json.loads(item.read_text())
        except (OSError, ValueError):
            continue
    return records
