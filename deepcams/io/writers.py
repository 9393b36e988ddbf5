"""Writers: compressed CF NetCDF and Zarr, always through a temporary name moved into place.

A failure at any point (bad data, full disk, Ctrl-C) leaves no partial file at the destination.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import xarray as xr

from deepcams.io.conventions import TIME_ENCODING


def write_atomically(
    path: str | os.PathLike, write: Callable[[Path], None], *, directory: bool = False
) -> Path:
    """Call `write(tmp)` on a temporary sibling of `path` (a file, or a directory store such as Zarr when
    `directory`), then move it into place, so readers never see a partial output; on failure nothing is
    left behind."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp{target.suffix}"
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent))
        shutil.rmtree(tmp)
    else:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        write(tmp)
        if not directory:  # mkstemp creates 0600; give the file the permissions a plain open() would
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if directory and target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    return target


def _remove(tmp: Path) -> None:
    """Delete a failed temporary output; dask threads still finishing their chunks may re-create parts of
    a store for a moment after the failure, so look again briefly."""
    for _ in range(20):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
        time.sleep(0.05)
        if not tmp.exists():
            return


def _encoding(ds: xr.Dataset, zarr: bool) -> dict:
    encoding: dict = {}
    for name, var in ds.data_vars.items():
        if var.ndim >= 2:
            if zarr:
                encoding[name] = {"dtype": "float32"} if var.dtype.kind == "f" else {}
            else:
                chunks = tuple(
                    min(size, limit)
                    for size, limit in zip(var.shape, (1, 256, 512)[-var.ndim :], strict=True)
                )
                encoding[name] = {"zlib": True, "complevel": 4, "shuffle": True, "chunksizes": chunks}
                if var.dtype.kind == "f":
                    encoding[name]["_FillValue"] = float("nan")
    if "time" in ds.coords and ds["time"].dtype.kind == "M":
        encoding["time"] = dict(TIME_ENCODING)
    for name in ("lat", "lon"):
        if name in ds.coords:
            encoding[name] = {"_FillValue": None}
    return encoding


def to_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write a Dataset as compressed NetCDF4 (zlib level 4, shuffle), atomically."""
    encoding = _encoding(ds, zarr=False)
    return write_atomically(path, lambda tmp: ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding))


def to_zarr(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write a Dataset as a Zarr store with consolidated metadata, atomically."""
    encoding = _encoding(ds, zarr=True)
    return write_atomically(
        path, lambda tmp: ds.to_zarr(tmp, mode="w", encoding=encoding, consolidated=True), directory=True
    )
