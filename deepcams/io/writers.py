"""Writers: compressed CF NetCDF and Zarr, always through a temporary name moved into place.

A failure at any point (bad data, full disk, Ctrl-C) leaves no partial file at the destination. A
temporary name carries its writer's host and pid, so one that a killed writer left (SIGKILL, power loss)
is removed by the next write to the same destination.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dask
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.io.conventions import TIME_ENCODING

# below this many free bytes a failed write is reported as a full disk (the netCDF and HDF5 libraries
# report ENOSPC as a bare "HDF error")
LOW_SPACE = 1024**2


def write_atomically(
    path: str | os.PathLike, write: Callable[[Path], None], *, directory: bool = False
) -> Path:
    """Call `write(tmp)` on a temporary sibling of `path` (a file, or a directory store such as Zarr when
    `directory`), then move it into place, so readers never see a partial output; on failure nothing is
    left behind."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp{target.suffix}"
    remove_orphans(target)
    prefix = f".{target.name}.{socket.gethostname()}.{os.getpid()}."
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=target.parent))
        shutil.rmtree(tmp)
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
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
    except BaseException as exc:
        full = isinstance(exc, Exception) and _out_of_space(exc, target.parent)
        _remove(tmp)
        if full:
            raise DeepcamsError(f"no space left on {target.parent} to write {target.name}") from None
        raise
    return target


def remove_orphans(target: str | os.PathLike) -> list[Path]:
    """Delete the temporaries of `target` whose writer, on this host, is no longer running."""
    target = Path(target)
    head, tail = f".{target.name}.", f".tmp{target.suffix}"
    removed = []
    for item in target.parent.glob(f"{glob.escape(head)}*{glob.escape(tail)}"):
        owner = item.name[len(head) : -len(tail)].rsplit(".", 2)  # host (may hold dots), pid, random
        if len(owner) == 3 and owner[1].isdigit() and writer_gone(owner[0], int(owner[1])):
            _remove(item)
            removed.append(item)
    return removed


def writer_gone(host: str, pid: int) -> bool:
    """True when process `pid` of `host` is known to have ended (it runs here and no longer exists)."""
    if host != socket.gethostname():
        return False  # another machine's process: cannot tell
    if pid <= 0:
        return True  # no process has such an id
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _out_of_space(exc: BaseException, directory: Path) -> bool:
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, OSError) and chain.errno == errno.ENOSPC:
            return True
        chain = chain.__cause__ or chain.__context__
    try:
        return shutil.disk_usage(directory).free < LOW_SPACE
    except OSError:
        return False


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
                limits = (1,) * (var.ndim - 2) + (256, 512)  # one frame (of one member or quantile) a chunk
                chunks = tuple(min(size, limit) for size, limit in zip(var.shape, limits, strict=True))
                encoding[name] = {"zlib": True, "complevel": 4, "shuffle": True, "chunksizes": chunks}
                if var.dtype.kind == "f":
                    encoding[name]["_FillValue"] = float("nan")
    if "time" in ds.coords and ds["time"].dtype.kind == "M":
        encoding["time"] = dict(TIME_ENCODING)
    for name in ("lat", "lon"):
        if name in ds.coords:
            encoding[name] = {"_FillValue": None}
    return encoding


def to_netcdf(ds: xr.Dataset, path: str | os.PathLike, encoding: dict | None = None) -> Path:
    """Write a Dataset as compressed NetCDF4 (zlib level 4, shuffle), atomically; `encoding` replaces
    the default encoding of the variables it names.

    The data variables are written one row of HDF5 chunks at a time by dask's threads, so a Ctrl-C
    reaches the main thread while it waits for them. Written from the main thread, one long HDF5 call
    leaves the interrupt pending until xarray releases its file lock, which it then never does, and
    closing the file waits for that lock forever.
    """
    encoding = {**_encoding(ds, zarr=False), **(encoding or {})}
    rows = {
        name: var.chunk({var.dims[0]: encoding[name]["chunksizes"][0]})
        for name, var in ds.data_vars.items()
        if var.chunks is None and "chunksizes" in encoding.get(name, {})
    }
    ds = ds.assign(rows)

    def write(tmp: Path) -> None:
        with dask.config.set(scheduler="threads"):  # never a distributed client's workers
            ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)

    return write_atomically(path, write)


def to_zarr(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write a Dataset as a Zarr store with consolidated metadata, atomically."""
    encoding = _encoding(ds, zarr=True)
    return write_atomically(
        path, lambda tmp: ds.to_zarr(tmp, mode="w", encoding=encoding, consolidated=True), directory=True
    )
