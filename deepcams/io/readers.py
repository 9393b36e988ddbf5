"""Readers for the providers' files: CAMS EAC4 (NetCDF, GRIB), GEOS-CF NetCDF and the DeepCAMS .mat layout.

Every reader returns the canonical layout of `deepcams.io.conventions` and reads lazily with dask where the
format allows. Units come from the file's attributes unless the caller states them.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, GEOSCF, require_grid
from deepcams.io.conventions import canonical
from deepcams.io.probe import netcdf_engine

CAMS_VARIABLE = "pm2p5"
GEOSCF_VARIABLE = "PM25_RH35_GCC"
PathLike = str | os.PathLike

TimeAlignment = Literal["start", "centre", "end"]
# GEOS-CF tavg1hr files stamp the mean over [HH:00, HH+1:00) at HH:30. CAMS fields are instants at HH:00.
# "start" (default, as DeepCAMS paired the files) labels each mean with the hour it starts, so GEOS-CF
# hour HH lines up with the CAMS instant HH:00; "end" labels it with the hour it ends; "centre" keeps HH:30
# (then no GEOS-CF time coincides with a CAMS instant, and comparisons must say so).
_ALIGN_SHIFT = {"start": -30, "centre": 0, "end": 30}


def expand_paths(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """Paths and glob patterns -> sorted list of existing files; nothing found is an error."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    found: list[Path] = []
    for item in items:
        text = os.fspath(item)
        # an existing name is taken as it is, even when it holds glob characters (cams[1].nc)
        globbed = any(ch in text for ch in "*?[") and not os.path.exists(text)
        matches = sorted(glob.glob(text)) if globbed else [text]
        if not matches:
            raise DeepcamsError(f"no files match {text!r}")
        for match in matches:
            if not os.path.isfile(match):
                raise DeepcamsError(f"no such file: {match}")
            found.append(Path(match))
    if not found:
        raise DeepcamsError("no input files given")
    return found


def _open_netcdf(files: Sequence[Path], chunks: dict | None) -> xr.Dataset:
    """Open one or many NetCDF files lazily; unreadable files are named in the error."""
    engine = _engine(files)
    try:
        if len(files) == 1:
            return xr.open_dataset(files[0], chunks=chunks, decode_timedelta=False, engine=engine)
        return xr.open_mfdataset(
            files,
            chunks=chunks,
            combine="by_coords",
            decode_timedelta=False,
            data_vars="minimal",
            coords="minimal",
            engine=engine,
        )
    except DeepcamsError:
        raise
    except Exception as exc:  # the netCDF/HDF5 libraries raise many types for one cause: a bad file
        raise DeepcamsError(f"cannot read {', '.join(map(str, files))}: {_first_line(exc)}") from None


def _engine(files: Sequence[Path]) -> str:
    """One engine for all `files`, each checked first (`deepcams.io.probe.netcdf_engine`)."""
    engines = {path: netcdf_engine(path) for path in files}
    if "h5netcdf" not in engines.values():
        return "netcdf4"
    classic = [path for path in files if _magic(path).startswith(b"CDF")]
    if classic:  # h5netcdf reads HDF5 only
        half = next(path for path, engine in engines.items() if engine == "h5netcdf")
        raise DeepcamsError(f"cannot read {half} (half precision) together with NetCDF3 {classic[0]}")
    return "h5netcdf"


def _magic(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(4)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _standard_dims(ds: xr.Dataset) -> xr.Dataset:
    renames = {}
    for old, new in (("valid_time", "time"), ("latitude", "lat"), ("longitude", "lon")):
        if old in ds.dims or old in ds.coords:
            renames[old] = new
    try:
        return ds.rename(renames)
    except ValueError as exc:  # e.g. both `latitude` and `lat`: files of two grids combined
        raise DeepcamsError(f"inconsistent coordinates in the input ({exc})") from None


def _pick_variable(ds: xr.Dataset, variable: str, path_text: str) -> xr.DataArray:
    if variable not in ds:
        have = ", ".join(sorted(map(str, ds.data_vars))) or "none"
        raise DeepcamsError(f"{path_text}: variable {variable!r} not found (variables: {have})")
    da = ds[variable]
    # ADS NetCDF carries singleton `number`/`expver` dims or coords; forecast files `step`
    for extra in set(da.dims) - {"time", "lat", "lon"}:
        if da.sizes[extra] != 1:
            raise DeepcamsError(f"{path_text}: {variable!r} has an unexpected dimension {extra!r}")
        da = da.isel({extra: 0}, drop=True)
    keep = {"time", "lat", "lon"}
    return da.drop_vars([c for c in da.coords if c not in keep])


def _check_time(da: xr.DataArray, path_text: str) -> None:
    if "time" not in da.dims:
        if "time" in da.coords:
            return
        raise DeepcamsError(f"{path_text}: {da.name!r} has no time dimension")
    if not np.issubdtype(da["time"].dtype, np.datetime64):
        raise DeepcamsError(f"{path_text}: time axis is not decodable as dates")


def open_cams(
    paths: PathLike | Iterable[PathLike],
    *,
    units: str | None = None,
    variable: str = CAMS_VARIABLE,
    chunks: dict | None = None,
) -> xr.Dataset:
    """Open CAMS EAC4 PM2.5 as the ADS delivers it (NetCDF with `time` or `valid_time`, or GRIB).

    Many files are combined lazily along time. `units` overrides the file's units attribute.
    """
    files = expand_paths(paths)
    text = ", ".join(map(str, files[:3])) + (" ..." if len(files) > 3 else "")
    if all(p.suffix.lower() in (".grib", ".grb", ".grib2", ".grb2") for p in files):
        ds = _open_grib(files)
    elif any(p.suffix.lower() == ".mat" for p in files):
        raise DeepcamsError("CAMS .mat files need times: use deepcams.io.open_mat (or the CLI's --year)")
    else:
        ds = _open_netcdf(files, chunks={"time": 8} if chunks is None else chunks)
    close = ds.close
    ds = _standard_dims(ds)
    da = _pick_variable(ds, variable, text)
    if "time" not in da.dims and "time" in da.coords:
        da = da.expand_dims("time")
    _check_time(da, text)
    out = canonical(
        da,
        units=units or da.attrs.get("units"),
        source="CAMS EAC4 global reanalysis (Copernicus Atmosphere Monitoring Service)",
        history=f"read by deepcams.open_cams from {text}",
        extra_attrs={"input_files": ", ".join(p.name for p in files)},
    )
    require_grid(out, CAMS, text)
    out.set_close(close)  # `with open_cams(...)` or `.close()` releases the files, as xarray's own do
    return out


def _open_grib(files: Sequence[Path]) -> xr.Dataset:
    try:
        import cfgrib  # noqa: F401
    except ImportError:
        raise DeepcamsError(
            "reading GRIB needs cfgrib: pip install 'deepcams[grib]' (or convert to NetCDF)"
        ) from None
    try:
        return xr.open_mfdataset(files, engine="cfgrib", combine="by_coords")
    except Exception as exc:
        raise DeepcamsError(f"cannot read GRIB {files[0]}: {_first_line(exc)}") from None


def open_geoscf(
    paths: PathLike | Iterable[PathLike],
    *,
    time_alignment: TimeAlignment = "start",
    units: str | None = None,
    variable: str = GEOSCF_VARIABLE,
    chunks: dict | None = None,
) -> xr.Dataset:
    """Open GEOS-CF PM2.5 NetCDF (e.g. the tavg1hr chm collection).

    `time_alignment` says which instant an hourly mean stamped HH:30 stands for (see `_ALIGN_SHIFT`);
    times that are already on the hour (instantaneous files) are left as they are.
    """
    source = "NASA GMAO GEOS-CF (GEOS Composition Forecast)"
    out = _open_hourly_means(paths, time_alignment, units, variable, chunks, source)
    require_grid(out, GEOSCF, _describe(expand_paths(paths)))
    return out


def open_model_output(
    paths: PathLike | Iterable[PathLike],
    variable: str,
    *,
    source: str,
    time_alignment: TimeAlignment = "start",
    units: str | None = None,
) -> xr.Dataset:
    """Hourly PM2.5 of a chemistry-transport model on its own regular lat/lon grid (a GEOS-Chem nested
    domain, a subset cut by other tools), canonical but not regridded: `deepcams.grids.interpolate_to_nodes`
    puts it on the CAMS nodes. `source` names the model for the attributes."""
    return _open_hourly_means(paths, time_alignment, units, variable, None, source)


def _describe(files: list[Path]) -> str:
    return ", ".join(map(str, files[:3])) + (" ..." if len(files) > 3 else "")


def _open_hourly_means(paths, time_alignment, units, variable, chunks, source) -> xr.Dataset:
    if time_alignment not in _ALIGN_SHIFT:
        raise DeepcamsError(f"time_alignment must be one of {sorted(_ALIGN_SHIFT)}, got {time_alignment!r}")
    files = expand_paths(paths)
    text = _describe(files)
    opened = _open_netcdf(files, chunks={"time": 24} if chunks is None else chunks)
    ds = _standard_dims(opened)
    da = _pick_variable(ds, variable, text)
    if "lev" in ds.dims:
        raise DeepcamsError(f"{text}: {variable!r} has levels; select the surface level first")
    _check_time(da, text)
    times = pd.DatetimeIndex(da["time"].values)
    half_past = bool(len(times)) and bool(np.all(times.minute == 30))
    shift = _ALIGN_SHIFT[time_alignment] if half_past else 0
    if shift:
        da = da.assign_coords(time=da["time"].values + np.timedelta64(shift, "m"))
    out = canonical(
        da,
        units=units or da.attrs.get("units"),
        source=source,
        history=f"read by deepcams from {text}",
        extra_attrs={
            "input_files": ", ".join(p.name for p in files),
            "time_alignment": f"{time_alignment}: hourly means stamped HH:30 shifted by {shift} min"
            if half_past
            else "times on the hour, used as they are",
        },
    )
    out.set_close(opened.close)
    return out


_MAT_NAME = re.compile(r"^(\d{1,2})_(\d{1,2})_(\d{1,2})$")


def mat_time_from_name(path: PathLike, year: int) -> np.datetime64:
    """Time encoded in a DeepCAMS CAMS file name MM_DD_HH.mat (hour 24 is 00 UTC of the next day)."""
    match = _MAT_NAME.match(Path(path).stem)
    if match is None:
        raise DeepcamsError(f"{path}: name does not encode a time (expected MM_DD_HH.mat); give the times")
    month, day, hour = (int(g) for g in match.groups())
    try:
        return np.datetime64(pd.Timestamp(year=year, month=month, day=day) + pd.Timedelta(hours=hour), "ns")
    except ValueError as exc:
        raise DeepcamsError(f"{path}: {exc}") from None


def open_mat(
    paths: PathLike | Iterable[PathLike],
    *,
    times: Sequence | None = None,
    year: int | None = None,
    units: str | None = None,
) -> xr.Dataset:
    """Open frames in the DeepCAMS authors' .mat layout (one `data` array, north-up, lon from -180).

    The grid (CAMS or GEOS-CF) follows from the array shape. Times come from `times`, or from the file
    names (MM_DD_HH) with `year`. Units default to kg m-3 on the CAMS grid and ug m-3 on the GEOS-CF
    grid, the authors' conventions, unless `units` says otherwise.
    """
    import scipy.io

    files = expand_paths(paths)
    frames = []
    for path in files:
        try:
            content = scipy.io.loadmat(path)
        except Exception as exc:
            raise DeepcamsError(f"cannot read {path} as a .mat file: {_first_line(exc)}") from None
        if "data" not in content:
            raise DeepcamsError(f"{path}: no 'data' array in the .mat file")
        frames.append(np.asarray(content["data"], dtype="float64"))
    shapes = {frame.shape for frame in frames}
    if len(shapes) != 1:
        raise DeepcamsError(f"frames have different shapes: {sorted(shapes)}")
    shape = shapes.pop()
    grid = {CAMS.shape: CAMS, GEOSCF.shape: GEOSCF}.get(shape)
    if grid is None:
        raise DeepcamsError(
            f"{files[0]}: shape {shape} is neither CAMS {CAMS.shape} nor GEOS-CF {GEOSCF.shape}"
        )
    if times is None:
        if year is None:
            raise DeepcamsError(".mat files carry no year: give `times` or `year`")
        stamps = [mat_time_from_name(p, year) for p in files]
    else:
        stamps = list(pd.DatetimeIndex(times).values)
        if len(stamps) != len(files):
            raise DeepcamsError(f"{len(files)} .mat files but {len(stamps)} times")
    order = np.argsort(stamps)
    data = np.stack([frames[k] for k in order])[:, ::-1, :]  # north-up -> lat ascending
    da = xr.DataArray(
        data,
        dims=("time", "lat", "lon"),
        coords={"time": np.asarray(stamps)[order], "lat": grid.lat, "lon": grid.lon},
        name="data",
    )
    default_units = "kg m-3" if grid is CAMS else "ug m-3"
    source = (
        "CAMS EAC4 global reanalysis (Copernicus Atmosphere Monitoring Service)"
        if grid is CAMS
        else "NASA GMAO GEOS-CF (GEOS Composition Forecast)"
    )
    return canonical(
        da,
        units=units or default_units,
        source=source,
        history=f"read by deepcams.open_mat from {len(files)} DeepCAMS .mat files",
        extra_attrs={"input_files": ", ".join(p.name for p in files)},
    )


def open_dataset(path: PathLike, *, chunks: dict | None = None) -> xr.Dataset:
    """Open a file this package wrote (canonical NetCDF or Zarr), checking it is canonical."""
    from deepcams.io.conventions import check_canonical

    path = Path(path)
    if path.is_dir():
        try:
            ds = xr.open_zarr(path, chunks=chunks)
        except Exception as exc:
            raise DeepcamsError(f"cannot read Zarr store {path}: {_first_line(exc)}") from None
    else:
        files = expand_paths([path])
        ds = _open_netcdf(files, chunks=chunks)
    if "pm25" not in ds:
        raise DeepcamsError(f"{path}: no 'pm25' variable; is it a deepcams output? (try `deepcams info`)")
    check_canonical(ds)
    return ds


def open_any(paths: PathLike | Iterable[PathLike], *, units: str | None = None, year: int | None = None):
    """Recognise CAMS, GEOS-CF, deepcams or .mat input by content and open it canonically."""
    files = expand_paths(paths)
    if all(p.suffix.lower() == ".mat" for p in files):
        return open_mat(files, year=year, units=units)
    if all(p.suffix.lower() in (".grib", ".grb", ".grib2", ".grb2") for p in files):
        return open_cams(files, units=units)
    with _open_netcdf(files[:1], chunks={}) as probe:
        probe = _standard_dims(probe)
    first = _kind(probe)
    if len(files) > 1 and first is not None:
        _require_one_kind(files, first)
    if CAMS_VARIABLE in probe:
        return open_cams(files, units=units)
    if GEOSCF_VARIABLE in probe:
        return open_geoscf(files, units=units)
    if "pm25" in probe:
        if len(files) == 1:
            return open_dataset(files[0], chunks={})
        ds = _standard_dims(_open_netcdf(files, chunks={}))
        return canonical(
            ds["pm25"],
            units=units or ds["pm25"].attrs.get("units"),
            source=ds.attrs.get("source", "unknown"),
            history=ds.attrs.get("history", ""),
        )
    have = ", ".join(sorted(map(str, probe.data_vars))) or "none"
    raise DeepcamsError(
        f"{files[0]}: no PM2.5 variable found ({CAMS_VARIABLE!r}, {GEOSCF_VARIABLE!r} or 'pm25'; has {have})"
    )


_KINDS = {CAMS_VARIABLE: "CAMS (0.75 deg)", GEOSCF_VARIABLE: "GEOS-CF (0.25 deg)", "pm25": "deepcams output"}


def _kind(ds: xr.Dataset) -> str | None:
    return next((kind for name, kind in _KINDS.items() if name in ds), None)


def _require_one_kind(files: Sequence[Path], first: str) -> None:
    """Files of different providers cannot be combined: say which two grids were mixed."""
    for path in files[1:]:
        with _open_netcdf([path], chunks={}) as ds:
            kind = _kind(ds) or "a file without a PM2.5 variable"
        if kind != first:
            raise DeepcamsError(
                f"{files[0].name} is {first} but {path.name} is {kind}: give files of one grid at a time"
            )
