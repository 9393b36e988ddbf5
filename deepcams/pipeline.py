"""The two-stage downscaling run: CAMS 3-hourly 0.75 deg -> hourly 0.25 deg on the GEOS-CF grid.

Stage 1 interpolates in time on the CAMS grid, stage 2 upsamples each hourly frame x3 in space. The run
cuts the CAMS cells that cover the requested box plus a halo (wrapping longitude, mirroring across the
poles), so regions crossing the antimeridian and the global grid have no seams, then crops the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, FACTOR, GEOSCF, BBox, region_lat, region_lon, take
from deepcams.io.conventions import check_canonical, pm25_dataset
from deepcams.methods import DEFAULT_METHOD, Method, get_method

# Refuse requests whose output would not fit comfortably in memory (float32 bytes).
MAX_OUTPUT_BYTES = 8 * 1024**3


def select_times(ds: xr.Dataset, start=None, end=None) -> xr.Dataset:
    """The input steps between start and end (inclusive); an empty or outside range is an error."""
    times = pd.DatetimeIndex(ds["time"].values)
    if times.empty:
        raise DeepcamsError("input has no time steps")
    first, last = times[0], times[-1]
    lo = pd.Timestamp(start) if start is not None else first
    hi = pd.Timestamp(end) if end is not None else last
    if lo > hi:
        raise DeepcamsError(f"start {lo} is after end {hi}")
    if hi < first or lo > last:
        raise DeepcamsError(f"dates {lo} .. {hi} are outside the data ({first} .. {last})")
    out = ds.sel(time=slice(lo, hi))
    if out.sizes["time"] == 0:
        raise DeepcamsError(f"no input time steps between {lo} and {hi}")
    return out


def time_step_hours(times: np.ndarray) -> int:
    """The regular step of the input in whole hours; gaps and irregular steps are an error."""
    if len(times) < 2:
        return 1
    steps = np.diff(pd.DatetimeIndex(times).as_unit("ns").asi8) / 3.6e12
    if not np.allclose(steps, steps[0]) or steps[0] <= 0 or steps[0] != round(steps[0]):
        found = sorted({f"{s:g} h" for s in steps})
        raise DeepcamsError(
            f"input time steps are irregular or have gaps ({', '.join(found)}); need one regular step"
        )
    return int(round(steps[0]))


def _target_axes(bbox: BBox | None) -> tuple[np.ndarray, np.ndarray]:
    if bbox is None:
        return GEOSCF.lat, GEOSCF.lon
    lat, lon = region_lat(GEOSCF, bbox), region_lon(GEOSCF, bbox)
    if lat.size == 0 or lon.size == 0:
        raise DeepcamsError(f"bbox {bbox} holds no GEOS-CF grid points")
    return lat, lon


def _coarse_axis(fine: np.ndarray, halo: int) -> np.ndarray:
    """CAMS nodes whose blocks cover the fine axis, plus `halo` cells each side."""
    step = CAMS.step
    first = np.rint(fine[0] / step) - halo
    last = np.rint(fine[-1] / step) + halo
    return step * np.arange(first, last + 1)


def _nodes_inside(fine: np.ndarray) -> np.ndarray:
    """CAMS nodes within the fine axis's extent (the nearest one for a box narrower than a cell).

    These are the cells an area download from the ADS for the same box holds: a regional input must
    have them all; the pixels beyond its outermost nodes, and the halo, replicate its edge.
    """
    step = CAMS.step
    nodes = step * np.arange(np.ceil(fine[0] / step - 1e-9), np.floor(fine[-1] / step + 1e-9) + 1)
    return nodes if nodes.size else _coarse_axis(fine[:1], 0)


def estimate_output_bytes(ds: xr.Dataset, bbox: BBox | str | None = None, start=None, end=None) -> int:
    """Bytes of float32 output a request would produce (checked before any work starts)."""
    bbox = BBox.parse(bbox)
    ds = select_times(ds, start, end)
    lat, lon = _target_axes(bbox)
    step = time_step_hours(ds["time"].values)
    hours = 1 + (ds.sizes["time"] - 1) * step
    return 4 * hours * lat.size * lon.size


def downscale(
    cams: xr.Dataset,
    method: str | Method = DEFAULT_METHOD,
    *,
    bbox: BBox | str | None = None,
    start=None,
    end=None,
    allow_nan: bool = False,
    batch: int = 8,
    progress: bool = False,
    on_step: Callable[[int, int], None] | None = None,
    **method_options: Any,
) -> xr.Dataset:
    """Downscale canonical CAMS input to hourly fields on the GEOS-CF grid (or its `bbox` subset).

    The output runs hourly from the first to the last selected input time inclusive; a single input time
    gives the spatial stage only. NaNs in the input are an error unless `allow_nan`, when they spread to
    the output pixels they touch. `on_step(done, total)` reports progress (the app's progress bar).
    """
    pm25 = check_canonical(cams)
    if not CAMS.contains(cams) or (
        cams.sizes["lon"] > 1 and not np.allclose(np.diff(cams["lon"]), CAMS.step)
    ):
        raise DeepcamsError(
            "downscale input must be on the CAMS 0.75 deg grid (use deepcams.coarsen for GEOS-CF)"
        )
    method = method if isinstance(method, Method) else get_method(method, **method_options)
    bbox = BBox.parse(bbox)
    cams = select_times(cams, start, end)
    step = time_step_hours(cams["time"].values)
    fine_lat, fine_lon = _target_axes(bbox)
    times = pd.DatetimeIndex(cams["time"].values)
    hours = pd.date_range(times[0], times[-1], freq="h") if len(times) > 1 else times
    size = 4 * len(hours) * fine_lat.size * fine_lon.size
    if size > MAX_OUTPUT_BYTES:
        raise DeepcamsError(
            f"request too large: {size / 1024**3:.1f} GiB of output (limit {MAX_OUTPUT_BYTES / 1024**3:.0f} GiB); "
            "use a smaller bbox or fewer dates"
        )

    halo = max(method.spatial.halo, 1)
    coarse_lat = _coarse_axis(fine_lat, halo)
    coarse_lon = _coarse_axis(fine_lon, halo)
    pm25 = cams["pm25"]
    # the box itself must lie in the input; the halo beyond a regional input's edge replicates that edge
    take(pm25.isel(time=0), CAMS, _nodes_inside(fine_lat), _nodes_inside(fine_lon))
    coarse = take(pm25, CAMS, coarse_lat, coarse_lon, outside="edge").values.astype("float32")
    if not allow_nan and np.isnan(coarse).any():
        bad = pd.DatetimeIndex(cams["time"].values)[np.isnan(coarse).any(axis=(1, 2))]
        raise DeepcamsError(f"input has NaN values (first at {bad[0]}); fill them or pass allow_nan")

    hourly = method.temporal.interpolate(coarse, step) if len(times) > 1 else coarse
    fine_lat_full = coarse_lat[0] - GEOSCF.step + GEOSCF.step * np.arange(FACTOR * coarse_lat.size)
    fine_lon_full = coarse_lon[0] - GEOSCF.step + GEOSCF.step * np.arange(FACTOR * coarse_lon.size)
    row0 = int(np.rint((fine_lat[0] - fine_lat_full[0]) / GEOSCF.step))
    col0 = int(np.rint((fine_lon[0] - fine_lon_full[0]) / GEOSCF.step))
    rows = slice(row0, row0 + fine_lat.size)
    cols = slice(col0, col0 + fine_lon.size)
    # rows mirrored beyond a pole take no part in block means (the pole cells are half cells)
    row_weights = (np.abs(fine_lat_full) <= 90.0 + 1e-9).astype("float64")

    out = np.empty((hourly.shape[0], fine_lat.size, fine_lon.size), dtype="float32")
    chunks = range(0, hourly.shape[0], batch)
    for done, begin in enumerate(
        tqdm(chunks, desc=f"downscale {method.name}", disable=not progress, unit="batch")
    ):
        block = method.spatial.upsample(hourly[begin : begin + batch], row_weights)
        out[begin : begin + batch] = block[:, rows, cols]
        if on_step is not None:
            on_step(done + 1, len(chunks))

    attrs = {
        "title": "PM2.5 downscaled to the GEOS-CF 0.25 deg hourly grid",
        "source": cams.attrs.get("source", "CAMS"),
        "method": method.name,
        "temporal_method": method.temporal.name,
        "spatial_method": method.spatial.name,
        "input_time_step_hours": step,
        "bbox": str(bbox) if bbox is not None else "global",
        "history": f"{cams.attrs.get('history', '')}\ndeepcams.downscale method={method.name}".strip(),
        **{k: v for k, v in cams.attrs.items() if k in ("attribution", "licence", "input_files")},
        **method.attrs,
    }
    return pm25_dataset(out, hours.values, fine_lat, fine_lon, attrs)


def simulate(geoscf: xr.Dataset, step: int = 3) -> xr.Dataset:
    """The paper's simulation protocol: coarsen GEOS-CF to the CAMS grid and keep the CAMS times (every 3 h)."""
    from deepcams.grids import coarsen

    truth = check_canonical(geoscf)
    if not GEOSCF.contains(geoscf):
        raise DeepcamsError("simulate expects GEOS-CF input on the 0.25 deg grid")
    times = pd.DatetimeIndex(truth["time"].values)
    keep = (times.minute == 0) & (times.second == 0) & (times.hour % step == 0)
    if not keep.any():
        raise DeepcamsError(
            f"no GEOS-CF time falls on a CAMS instant (hours divisible by {step} at minute 0)"
        )
    coarse = coarsen(geoscf.isel(time=np.flatnonzero(keep)))
    coarse.attrs = {
        **geoscf.attrs,
        "title": "CAMS-like PM2.5 simulated from GEOS-CF (DeepCAMS simulation protocol)",
        "source": f"simulated from {geoscf.attrs.get('source', 'GEOS-CF')}",
        "history": f"{geoscf.attrs.get('history', '')}\ndeepcams.simulate: 3x3 block mean, every {step} h".strip(),
    }
    coarse["pm25"].attrs = dict(geoscf["pm25"].attrs)
    return coarse
