"""The two-stage downscaling run: CAMS 3-hourly 0.75 deg -> hourly 0.25 deg on the GEOS-CF grid.

Stage 1 interpolates in time on the CAMS grid, stage 2 upsamples each hourly frame x3 in space. The run
cuts the CAMS cells that cover the requested box plus a halo (wrapping longitude, mirroring across the
poles), so regions crossing the antimeridian and the global grid have no seams, then crops the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from deepcams._version import __version__
from deepcams.calibration import shipped_calibration
from deepcams.ensemble import QUANTILES, check_quantiles, summarize_members
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, GEOSCF, BBox, footprint, require_grid, take
from deepcams.io.conventions import check_canonical, check_plausible, pm25_dataset
from deepcams.methods import DEFAULT_METHOD, ENSEMBLE_METHOD, MassTally, Method, get_method

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


def with_context(ds: xr.Dataset, selected: xr.Dataset, steps: int) -> xr.Dataset:
    """`selected` (regular steps of `ds`) plus up to `steps` more steps of `ds` before and after it.

    The context ends early where `ds` has no frame at the next regular step (the data's edge or a gap).
    """
    chosen = list(pd.DatetimeIndex(selected["time"].values))
    if steps == 0 or len(chosen) < 2:
        return selected
    step = chosen[1] - chosen[0]
    available = set(pd.DatetimeIndex(ds["time"].values))

    def run(edge: pd.Timestamp, direction: int) -> list[pd.Timestamp]:
        found = []
        while len(found) < steps and (edge + direction * step * (len(found) + 1)) in available:
            found.append(edge + direction * step * (len(found) + 1))
        return found

    return ds.sel(time=run(chosen[0], -1)[::-1] + chosen + run(chosen[-1], 1))


def estimate_output_bytes(ds: xr.Dataset, bbox: BBox | str | None = None, start=None, end=None) -> int:
    """Bytes of float32 output a request would produce (checked before any work starts)."""
    bbox = BBox.parse(bbox)
    ds = select_times(ds, start, end)
    region = footprint(bbox)
    step = time_step_hours(ds["time"].values)
    hours = 1 + (ds.sizes["time"] - 1) * step
    return 4 * hours * region.fine_lat.size * region.fine_lon.size


def product_attrs(method: Method, source: dict, bbox: BBox | None, step: int) -> dict:
    """Global attributes of a downscaled product: what it was made from and with (`downscale`, `produce`).

    Only what describes the method itself comes from it; numbers a run measured are added by that run.
    """
    return {
        "title": "PM2.5 downscaled to the GEOS-CF 0.25 deg hourly grid",
        "source": source.get("source", "CAMS"),
        "method": method.name,
        "temporal_method": method.temporal.name,
        "spatial_method": method.spatial.name,
        "input_time_step_hours": step,
        "bbox": str(bbox) if bbox is not None else "global",
        "deepcams_version": __version__,
        **{k: v for k, v in source.items() if k in ("attribution", "licence", "generator", "input_files")},
        **{k: v for k, v in method.attrs.items() if isinstance(v, str | int | float)},
    }


def downscale(
    cams: xr.Dataset,
    method: str | Method = DEFAULT_METHOD,
    *,
    bbox: BBox | str | None = None,
    start=None,
    end=None,
    allow_nan: bool = False,
    allow_implausible: bool = False,
    batch: int = 8,
    progress: bool = False,
    on_step: Callable[[int, int], None] | None = None,
    ensemble: int | None = None,
    quantiles=QUANTILES,
    members: bool = False,
    **method_options: Any,
) -> xr.Dataset:
    """Downscale canonical CAMS input to hourly fields on the GEOS-CF grid (or its `bbox` subset).

    The output runs hourly from the first to the last selected input time inclusive; a single input time
    gives the spatial stage only. NaNs in the input are an error unless `allow_nan`, when they spread to
    the output pixels they touch (infinities count as NaN). Values whose magnitude no PM2.5 field has (a
    units slip, see `deepcams.io.conventions.check_plausible`) are an error unless `allow_implausible`.
    `on_step(done, total)` reports progress (the app's progress bar).

    An ensemble method (`deepcams-ensemble`, or `ensemble=N` with deepcams: its first N members) runs each
    member and returns their mean as `pm25`, the calibrated spread and the `quantiles`
    (`deepcams.ensemble`), and with `members` each member's field; every member conserves mass on its own.
    """
    if ensemble is not None:
        named = getattr(method, "name", method)
        if named not in (DEFAULT_METHOD, ENSEMBLE_METHOD):
            raise DeepcamsError(f"an ensemble is of {DEFAULT_METHOD} members, not of {named!r}")
        method = get_method(ENSEMBLE_METHOD, size=ensemble, **method_options)
        method_options = {}
    method = method if isinstance(method, Method) else get_method(method, **method_options)
    if members and not method.members:
        raise DeepcamsError(f"members=True needs an ensemble (ensemble=N or {ENSEMBLE_METHOD!r})")
    if method.members:
        run = dict(
            bbox=bbox,
            start=start,
            end=end,
            allow_nan=allow_nan,
            allow_implausible=allow_implausible,
            batch=batch,
            progress=progress,
        )
        return _downscale_ensemble(cams, method, quantiles, members, on_step, run)
    out, hours, region, tally, selected, step = _run_stages(
        cams, method, bbox, start, end, allow_nan, allow_implausible, batch, progress, on_step
    )
    attrs = product_attrs(method, selected.attrs, BBox.parse(bbox), step)
    attrs["history"] = f"{selected.attrs.get('history', '')}\ndeepcams.downscale method={method.name}".strip()
    if method.attrs.get("conservation") == "on":
        attrs["conservation_relative_correction"] = tally.relative
    return pm25_dataset(out, hours.values, region.fine_lat, region.fine_lon, attrs)


def _run_stages(cams, method, bbox, start, end, allow_nan, allow_implausible, batch, progress, on_step):
    """Both stages of one method over the box: (hours, [members,] lat, lon) values, the hours, the box's
    footprint, what conservation changed, the selected input and its step. A member-batched method
    (`deepcams.models.members`) gives a member axis after the time axis."""
    pm25 = check_canonical(cams)
    require_grid(cams, CAMS, "downscale input", hint="use deepcams.coarsen for GEOS-CF")
    bbox = BBox.parse(bbox)
    selected = select_times(cams, start, end)
    step = time_step_hours(selected["time"].values)
    # a temporal method that looks beyond the interval gets the neighbouring input steps where they exist
    around = with_context(cams, selected, getattr(method.temporal, "context", 0))
    cams = selected
    region = footprint(bbox, halo=max(method.spatial.halo, 1))
    # the temporal stage reads `radius` cells around each cell it fills: it runs on a wider block, cut back
    fills_hours = selected.sizes["time"] > 1 and step > 1
    reach = int(getattr(method.temporal, "radius", 0)) if fills_hours else 0
    wider = footprint(bbox, halo=max(method.spatial.halo, 1) + reach)
    fine_lat, fine_lon = region.fine_lat, region.fine_lon
    times = pd.DatetimeIndex(cams["time"].values)
    hours = pd.date_range(times[0], times[-1], freq="h") if len(times) > 1 else times
    size = estimate_output_bytes(cams, bbox)
    if size > MAX_OUTPUT_BYTES:
        raise DeepcamsError(
            f"request too large: {size / 1024**3:.1f} GiB of output (limit {MAX_OUTPUT_BYTES / 1024**3:.0f} GiB); "
            "use a smaller bbox or fewer dates"
        )

    pm25 = around["pm25"]
    # the box itself must lie in the input; the halo beyond a regional input's edge replicates that edge
    take(pm25.isel(time=0), CAMS, region.input_lat, region.input_lon)
    coarse = take(pm25, CAMS, wider.coarse_lat, wider.coarse_lon, outside="edge").values.astype("float32")
    if not allow_nan and not np.isfinite(coarse).all():
        bad = pd.DatetimeIndex(around["time"].values)[~np.isfinite(coarse).all(axis=(1, 2))]
        kind = "NaN" if np.isnan(coarse).any() else "infinite"
        raise DeepcamsError(f"input has {kind} values (first at {bad[0]}); fill them or pass allow_nan")
    coarse[np.isinf(coarse)] = np.nan  # allowed gaps: an infinity is as missing as a NaN
    if not allow_implausible:
        check_plausible(coarse)

    if len(times) > 1:
        hourly = method.temporal.interpolate(coarse, step, times=around["time"].values, lon=wider.coarse_lon)
        skip = int((times[0] - pd.Timestamp(around["time"].values[0])) / pd.Timedelta(hours=1))
        hourly = hourly[skip : skip + len(hours)]
    else:
        hourly = coarse
    members = getattr(method.spatial, "members", None)
    if members and hourly.ndim == 3:  # one input time: every member upsamples the same frame
        hourly = np.repeat(hourly[:, None], members, axis=1)
    hourly = hourly[..., reach : hourly.shape[-2] - reach, reach : hourly.shape[-1] - reach]
    row_weights = region.row_weights

    out = np.empty((*hourly.shape[:-2], fine_lat.size, fine_lon.size), dtype="float32")
    tally = MassTally()
    chunks = range(0, hourly.shape[0], batch)
    for done, begin in enumerate(
        tqdm(chunks, desc=f"downscale {method.name}", disable=not progress, unit="batch")
    ):
        block = method.spatial.upsample(
            hourly[begin : begin + batch], row_weights, tally=tally, footprint=region
        )
        out[begin : begin + batch] = block[..., region.rows, region.cols]
        if on_step is not None:
            on_step(done + 1, len(chunks))

    return out, hours, region, tally, cams, step


_STAGE_ARGUMENTS = ("bbox", "start", "end", "allow_nan", "allow_implausible", "batch", "progress")


def _run_batched(cams, method: Method, run: dict[str, Any], on_step):
    """The member-batched run, or None (with a warning) where the device cannot batch the networks: the
    batched path has not run on a GPU yet, and the members one by one give the same product."""
    try:
        return _run_stages(cams, method.batched, **{k: run[k] for k in _STAGE_ARGUMENTS}, on_step=on_step)
    except (RuntimeError, NotImplementedError) as exc:  # torch's errors; a DeepcamsError goes to the user
        warnings.warn(
            f"the ensemble's members could not run batched ({type(exc).__name__}: {exc}); running them one by one",
            stacklevel=3,
        )
        method.attrs["members_batched"] = "no"
        return None


def _downscale_ensemble(
    cams: xr.Dataset,
    method: Method,
    quantiles,
    keep_members: bool,
    on_step: Callable[[int, int], None] | None,
    run: dict[str, Any],
) -> xr.Dataset:
    """An ensemble method's run: each member through the one-method run, then their summary."""
    quantiles = check_quantiles(quantiles)
    check_canonical(cams)
    size = len(method.members)
    # members, mean, spread and quantiles are all in memory at once
    copies = size * (1 + keep_members) + 2 + len(quantiles)
    total = estimate_output_bytes(cams, run["bbox"], run["start"], run["end"]) * copies
    if total > MAX_OUTPUT_BYTES:
        raise DeepcamsError(
            f"request too large: {total / 1024**3:.1f} GiB for a {size}-member ensemble (limit "
            f"{MAX_OUTPUT_BYTES / 1024**3:.0f} GiB); use a smaller bbox, fewer dates or fewer members"
        )
    calibrated = shipped_calibration()
    batched = _run_batched(cams, method, run, on_step) if method.batched is not None else None
    if batched is not None:  # all members in each network call (on CUDA)
        values, hours, region, tally, selected, step = batched
        member = product_attrs(method.members[0], selected.attrs, BBox.parse(run["bbox"]), step)
        first = pm25_dataset(values[:, 0], hours.values, region.fine_lat, region.fine_lon, member)
        stacked = xr.DataArray(
            np.moveaxis(values, 1, 0), coords=first["pm25"].coords, dims=("realization", *first["pm25"].dims)
        )
        corrections = [tally.relative]  # pooled over the members
    else:
        runs = []
        for k, member in enumerate(method.members):
            report = None if on_step is None else (lambda done, n, k=k: on_step(k * n + done, size * n))
            runs.append(downscale(cams, member, on_step=report, **run))
        first = runs[0]
        stacked = xr.concat([r["pm25"] for r in runs], dim="realization")
        corrections = [r.attrs.get("conservation_relative_correction") for r in runs]
    stacked = stacked.assign_coords(realization=np.arange(size))
    out = summarize_members(stacked, quantiles, calibrated, keep_members)
    attrs = {
        **first.attrs,
        **product_attrs(
            method, cams.attrs, BBox.parse(run["bbox"]), int(first.attrs["input_time_step_hours"])
        ),
    }
    if method.attrs.get("conservation") == "on":
        attrs["conservation_relative_correction"] = float(np.mean(corrections))
    attrs.update(
        spread_scale=calibrated.spread_scale,
        mean_scale=calibrated.mean_scale,
        spread_calibration=f"{calibrated.describe()}, fitted on {calibrated.fitted_on}",
        history=f"{cams.attrs.get('history', '')}\ndeepcams.downscale method={method.name} size={size}".strip(),
    )
    out.attrs = attrs
    for name in ("time", "lat", "lon"):
        out[name].attrs = dict(first[name].attrs)
    return out


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
