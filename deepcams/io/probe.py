"""Checks of untrusted files before a NetCDF library touches them, and a probe that cannot crash its caller.

The C libraries behind xarray read past the end of a truncated NetCDF3 file as zeros and crash the
process on HDF5 half-precision variables, so files are checked here first: the NetCDF3 header's offsets
against the file size, the HDF5 datasets' last chunks and dtypes. `probe_file` opens a file in a
subprocess, for servers that list files they did not write.
"""

from __future__ import annotations

import mmap
import os
import struct
import subprocess
import sys
from pathlib import Path

from deepcams.errors import DeepcamsError

# bytes per value of each NetCDF3 / CDF-5 external type (byte, char, short, int, float, double, CDF-5 ints)
_NC3_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}


def netcdf_engine(path: str | os.PathLike) -> str:
    """The xarray engine that reads `path` safely ("netcdf4", or "h5netcdf" for HDF5 half precision);
    a file that is not NetCDF, is truncated or is corrupt is a DeepcamsError naming it."""
    path = Path(path)
    with open(path, "rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"CDF") and magic[3:4] in (b"\x01", b"\x02", b"\x05"):
        _check_netcdf3_size(path)
        return "netcdf4"
    if magic.startswith(b"\x89HDF"):
        return _check_hdf5(path)
    raise DeepcamsError(f"{path} is not a NetCDF file")


def _check_netcdf3_size(path: Path) -> None:
    """A classic, 64-bit offset or CDF-5 file must hold every byte its header places data at."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            needed = _Netcdf3Header(buf).data_end()
    except (struct.error, ValueError, KeyError, IndexError, OverflowError):
        raise DeepcamsError(f"{path} has a corrupt NetCDF3 header") from None
    if size < needed:
        raise DeepcamsError(f"{path} is truncated: {size} bytes, its header places data up to byte {needed}")


class _Netcdf3Header:
    """Just enough of the NetCDF3 header grammar (Unidata's file format spec) to find where data ends."""

    def __init__(self, buf) -> None:
        self.buf = buf
        version = buf[3]
        self.count_format = ">q" if version == 5 else ">i"  # CDF-5 counts are 64-bit
        self.offset_format = ">i" if version == 1 else ">q"
        self.pos = 4

    def _read(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def _count(self) -> int:
        return self._read(self.count_format)

    def _skip_name(self) -> None:
        length = self._count()
        if length < 0 or self.pos + length > len(self.buf):
            raise ValueError("bad name length")
        self.pos += -(-length // 4) * 4

    def _list(self) -> int:
        self._read(">i")  # the list's tag (dimension, attribute or variable; zero when absent)
        return self._count()

    def _skip_attributes(self) -> None:
        for _ in range(self._list()):
            self._skip_name()
            kind = self._read(">i")
            values = self._count()
            self.pos += -(-values * _NC3_TYPE_SIZE[kind] // 4) * 4

    def data_end(self) -> int:
        numrecs = self._count()
        dims = []
        for _ in range(self._list()):
            self._skip_name()
            dims.append(self._count())
        self._skip_attributes()
        variables = []  # (begin, bytes of one record or of all data, is a record variable)
        for _ in range(self._list()):
            self._skip_name()
            shape = [dims[self._count()] for _ in range(self._count())]
            self._skip_attributes()
            itemsize = _NC3_TYPE_SIZE[self._read(">i")]
            vsize = self._count()
            begin = self._read(self.offset_format)
            record = bool(shape) and shape[0] == 0
            exact = itemsize
            for length in shape[1:] if record else shape:
                exact *= length
            variables.append((begin, exact, vsize, record))
        end = self.pos
        records = [v for v in variables if v[3]]
        # one record variable is stored unpadded; several are each padded to their vsize
        recsize = records[0][1] if len(records) == 1 else sum(v[2] for v in records)
        for begin, exact, _, record in variables:
            if not record:
                end = max(end, begin + exact)
            elif numrecs > 0:  # numrecs < 0 marks a file still being streamed: nothing to check against
                end = max(end, begin + (numrecs - 1) * recsize + exact)
        return end


def _check_hdf5(path: Path) -> str:
    import h5py

    half = False
    try:
        with h5py.File(path, "r") as handle:
            for item in handle.values():
                if not isinstance(item, h5py.Dataset):
                    continue
                half = half or (item.dtype.kind == "f" and item.dtype.itemsize == 2)
                if item.size and item.ndim == 3:
                    item[(slice(-1, None),) * 3]  # the last chunk: a truncated file fails here
    except Exception as exc:  # h5py raises many types for one cause: a bad file
        text = str(exc).strip().splitlines()
        reason = text[0] if text else type(exc).__name__
        raise DeepcamsError(f"cannot read {path} (corrupt or truncated): {reason}") from None
    return "h5netcdf" if half else "netcdf4"  # the netCDF4 C library crashes on half precision


_PROBE = """
import sys
from deepcams.errors import DeepcamsError
from deepcams.io import open_any
try:
    ds = open_any(sys.argv[1:])
    ds["pm25"].isel(time=-1).values
except DeepcamsError as exc:
    print(str(exc).splitlines()[0] if str(exc).strip() else "unreadable")
    sys.exit(2)
"""


def probe_file(path: str | os.PathLike, timeout: float = 120.0) -> str | None:
    """Open `path` with `deepcams.io.open_any` in a subprocess: None when it reads, else why not (one line).

    Whatever the file holds (a crash of a C library, a hang), the calling process is unaffected.
    """
    try:
        run = subprocess.run(
            [sys.executable, "-c", _PROBE, os.fspath(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return f"opening it took longer than {timeout:g} s"
    if run.returncode == 0:
        return None
    if run.returncode < 0:
        return f"reading it crashed the reader (signal {-run.returncode})"
    lines = (run.stdout.strip() or run.stderr.strip()).splitlines()
    return lines[-1] if lines else f"the reader failed (exit {run.returncode})"
