"""Skill scores between a prediction and a truth on the same grid: RMSE, MAE, bias, Pearson R, SSIM, PSNR,
and for an ensemble product (`deepcams.ensemble`) CRPS, the spread-skill ratio and the rank histogram.

NaN-aware (a pixel counts only where both are finite), optionally weighted by pixel area (~ cos(latitude)),
per time step and aggregated over all steps, over a region.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import xarray as xr
from scipy.ndimage import gaussian_filter

from deepcams.calibration import RAW, SIGMA_FLOOR, Calibration
from deepcams.errors import DeepcamsError
from deepcams.grids import BBox, area_weights, grid_of, select_region, wrap_lon
from deepcams.io.conventions import check_canonical

METRICS = ("rmse", "mae", "bias", "r", "ssim", "psnr")
# better direction of each metric, for highlighting the best method
HIGHER_IS_BETTER = {"rmse": False, "mae": False, "bias": None, "r": True, "ssim": True, "psnr": True}
# an ensemble product's scores: CRPS (a point forecast's CRPS is its MAE, so the column compares with every
# method) and spread / RMSE of the mean (1 when the spread is as large as the errors it should cover)
PROBABILISTIC = ("crps", "spread_skill")
HIGHER_IS_BETTER["crps"] = False  # spread-skill is best at 1, not at an end: never highlighted
SPREAD = "pm25_spread"
MEMBERS = "pm25_member"
_THREADS = min(4, os.cpu_count() or 1)  # threads for SSIM's blocks of frames and for compare's methods
# pixels per block: its float64 temporaries (~2 MB each) stay in the CPU's cache; measured 1.6x faster than
# a region day's whole stack, and a global day's temporaries stay small
_BLOCK_PIXELS = 250_000


def _weights(field: xr.DataArray, weighted: bool) -> np.ndarray:
    """Per-pixel weights of a (time, lat, lon) field: ones, or each row's area (`scores` normalises them)."""
    shape = field.shape[1:]
    if not weighted:
        return np.ones(shape)
    rows = area_weights(field["lat"].values, grid_of(field).step)
    return np.broadcast_to(rows[:, None], shape).copy()


def scores(pred: np.ndarray, truth: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
    """RMSE, MAE, bias, R and PSNR over the pixels where both fields are finite (SSIM is per frame)."""
    weight = np.ones(pred.shape) if weight is None else np.broadcast_to(weight, pred.shape)
    valid = np.isfinite(pred) & np.isfinite(truth) & (weight > 0)
    if not valid.any():
        return {name: float("nan") for name in METRICS if name != "ssim"} | {"n": 0}
    p = pred[valid].astype("float64")
    t = truth[valid].astype("float64")
    w = weight[valid] / weight[valid].sum()
    error = p - t
    rmse = float(np.sqrt(np.sum(w * error**2)))
    pm, tm = np.sum(w * p), np.sum(w * t)
    cov = np.sum(w * (p - pm) * (t - tm))
    denom = np.sqrt(np.sum(w * (p - pm) ** 2) * np.sum(w * (t - tm) ** 2))
    data_range = float(t.max() - t.min())
    return {
        "rmse": rmse,
        "mae": float(np.sum(w * np.abs(error))),
        "bias": float(np.sum(w * error)),
        "r": float(cov / denom) if denom > 0 else float("nan"),
        "psnr": float(20 * np.log10(data_range / rmse)) if rmse > 0 and data_range > 0 else float("inf"),
        "n": int(valid.sum()),
    }


def ssim(pred: np.ndarray, truth: np.ndarray, sigma: float = 1.5, data_range: float | None = None) -> float:
    """Structural similarity (Wang et al. 2004, Gaussian window) of one 2-D frame, NaN-aware."""
    return float(ssim_frames(pred[None], truth[None], sigma, data_range)[0])


def ssim_frames(
    pred: np.ndarray, truth: np.ndarray, sigma: float = 1.5, data_range: float | None = None
) -> np.ndarray:
    """The SSIM of each frame of two (time, lat, lon) stacks; NaN for a frame with under two valid pixels
    or a flat truth. `data_range` defaults to each truth frame's own range.

    Local statistics are mask-normalised Gaussian averages, so missing pixels neither count nor blur in.
    The frames are filtered in blocks (a zero sigma along time) spread over threads: scipy's filters and
    numpy release the GIL.
    """
    frames = pred.shape[0]
    per_block = max(1, min(-(-frames // _THREADS), _BLOCK_PIXELS // max(1, pred[0].size)))
    blocks = [slice(k, k + per_block) for k in range(0, frames, per_block)]
    block = lambda s: _ssim_block(pred[s], truth[s], sigma, data_range)  # noqa: E731
    if len(blocks) == 1:
        return block(blocks[0])
    with ThreadPoolExecutor(_THREADS) as pool:
        return np.concatenate(list(pool.map(block, blocks)))


def _ssim_block(pred: np.ndarray, truth: np.ndarray, sigma: float, data_range: float | None) -> np.ndarray:
    valid = np.isfinite(pred) & np.isfinite(truth)
    count = valid.sum(axis=(1, 2))
    if data_range is None:
        high = np.where(valid, truth, -np.inf).max(axis=(1, 2), initial=-np.inf)
        low = np.where(valid, truth, np.inf).min(axis=(1, 2), initial=np.inf)
        span = np.where(count > 0, high - low, 0.0)
    else:
        span = np.full(pred.shape[0], float(data_range))
    p = np.where(valid, pred, 0.0).astype("float64")
    t = np.where(valid, truth, 0.0).astype("float64")
    window = (0, sigma, sigma)  # within each frame, never across time
    if valid.all():  # nothing to mask: the filter's weights sum to one (a third of the work saved)

        def local(x: np.ndarray) -> np.ndarray:
            return gaussian_filter(x, window, mode="nearest")

    else:
        mask = valid.astype("float64")
        # the same for every statistic
        norm = np.maximum(gaussian_filter(mask, window, mode="nearest"), 1e-12)

        def local(x: np.ndarray) -> np.ndarray:
            return gaussian_filter(x * mask, window, mode="nearest") / norm

    mu_p, mu_t = local(p), local(t)
    var_p = local(p * p) - mu_p**2
    var_t = local(t * t) - mu_t**2
    cov = local(p * t) - mu_p * mu_t
    c1, c2 = ((0.01 * span) ** 2)[:, None, None], ((0.03 * span) ** 2)[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # a flat frame's 0 / 0: it is NaN below
        index = ((2 * mu_p * mu_t + c1) * (2 * cov + c2)) / ((mu_p**2 + mu_t**2 + c1) * (var_p + var_t + c2))
    mean = np.where(valid, index, 0.0).sum(axis=(1, 2)) / np.maximum(count, 1)
    return np.where((count >= 2) & (span > 0), mean, np.nan)


def _aligned(
    pred: xr.Dataset, truth: xr.Dataset, bbox: BBox | str | None
) -> tuple[xr.DataArray, xr.DataArray]:
    """The two fields on their common times and grid points, in the prediction's order (a region across
    the antimeridian stays in one piece); a field already on them is not copied."""
    p = check_canonical(pred)
    t = check_canonical(truth)
    if bbox is not None:
        p = select_region(p, bbox)
        t = select_region(t, bbox)
    wrap = lambda lon: np.round(wrap_lon(lon), 6)  # noqa: E731
    p = p.assign_coords(lat=np.round(p["lat"].values, 6), lon=wrap(p["lon"].values))
    t = t.assign_coords(lat=np.round(t["lat"].values, 6), lon=wrap(t["lon"].values))
    common = {dim: p[dim].values[np.isin(p[dim].values, t[dim].values)] for dim in ("time", "lat", "lon")}
    if common["time"].size == 0:
        raise DeepcamsError("prediction and truth share no time steps")
    if common["lat"].size == 0 or common["lon"].size == 0:
        raise DeepcamsError("prediction and truth share no grid points (are they on the same grid?)")
    return _on(p, common), _on(t, common)


def _on(field: xr.DataArray, labels: dict[str, np.ndarray]) -> xr.DataArray:
    """`field` at `labels` (a selection, so a copy, only where its coordinates differ from them)."""
    differ = {dim: values for dim, values in labels.items() if not np.array_equal(field[dim].values, values)}
    return field.sel(differ) if differ else field


def evaluate(
    pred: xr.Dataset, truth: xr.Dataset, *, bbox: BBox | str | None = None, weighted: bool = False
) -> pd.DataFrame:
    """Per-time-step scores of `pred` against `truth` on their common times and grid points.

    Returns a DataFrame indexed by time with columns rmse, mae, bias, r, ssim, psnr, n.
    """
    p, t = _aligned(pred, truth, bbox)
    pv = p.values
    tv = t.values
    weight = _weights(p, weighted)
    similarity = ssim_frames(pv, tv)
    rows = [scores(pv[k], tv[k], weight) | {"ssim": similarity[k]} for k in range(pv.shape[0])]
    frame = pd.DataFrame(rows, index=pd.DatetimeIndex(p["time"].values, name="time"))
    return frame[[*METRICS, "n"]]


def summarize(
    pred: xr.Dataset, truth: xr.Dataset, *, bbox: BBox | str | None = None, weighted: bool = False
) -> dict[str, float]:
    """Scores aggregated over all common time steps and pixels (SSIM: the mean over frames)."""
    p, t = _aligned(pred, truth, bbox)
    weight = _weights(p, weighted)
    total = scores(p.values, t.values, weight[None])
    frames = ssim_frames(p.values, t.values)
    total["ssim"] = float(frames[np.isfinite(frames)].mean()) if np.isfinite(frames).any() else float("nan")
    return {name: total[name] for name in (*METRICS, "n")}


def _field(ds: xr.Dataset, name: str) -> xr.Dataset:
    """Variable `name` of a product as a canonical dataset of its own, so `_aligned` cuts it like `pm25`."""
    return xr.Dataset({"pm25": ds[name].assign_attrs(units=ds["pm25"].attrs.get("units"))}, attrs=ds.attrs)


def probabilistic_scores(
    pred: xr.Dataset, truth: xr.Dataset, *, bbox: BBox | str | None = None, weighted: bool = False
) -> dict[str, float]:
    """CRPS of the product's normal distribution (mean `pm25`, standard deviation `pm25_spread`, as
    `scoringrules.crps_normal`) and the spread-skill ratio sqrt(mean spread^2) / RMSE of the mean; for a
    product without a spread, its MAE and NaN. Over the pixels where truth, mean and spread are finite."""
    if SPREAD not in pred:
        total = summarize(pred, truth, bbox=bbox, weighted=weighted)
        return {"crps": total["mae"], "spread_skill": float("nan")}
    p, t = _aligned(pred, truth, bbox)
    s, _ = _aligned(_field(pred, SPREAD), truth, bbox)
    mean, obs, sigma = (np.asarray(a.values, dtype="float64") for a in (p, t, s))
    weight = np.broadcast_to(_weights(p, weighted)[None], mean.shape)
    valid = np.isfinite(mean) & np.isfinite(obs) & np.isfinite(sigma) & (weight > 0)
    if not valid.any():
        return {"crps": float("nan"), "spread_skill": float("nan")}
    import scoringrules  # here, not at the top: it takes ~4 s to import and most commands never score a CRPS

    w = weight[valid] / weight[valid].sum()
    crps = scoringrules.crps_normal(obs[valid], mean[valid], np.maximum(sigma[valid], SIGMA_FLOOR))
    rmse = np.sqrt(np.sum(w * (mean[valid] - obs[valid]) ** 2))
    spread = np.sqrt(np.sum(w * sigma[valid] ** 2))
    return {
        "crps": float(np.sum(w * crps)),
        "spread_skill": float(spread / rmse) if rmse > 0 else float("nan"),
    }


def ensemble_scores(members: np.ndarray, truth: np.ndarray, calibration: Calibration = RAW) -> dict:
    """Scores of an ensemble's members (N, ...) against `truth` (...), over the pixels finite in the truth
    and every member: MAE and RMSE of the mean; CRPS of the product's normal distribution (the spread
    through `calibration`, as `pm25_spread`) and the members' own CRPS (`scoringrules.crps_ensemble`, fair estimator);
    the spread-skill ratio of the product (sqrt(mean spread^2) / RMSE) and of the raw members with the
    finite-size correction sqrt((N + 1) / N) (Fortin et al. 2014); and the rank histogram of the truth
    among the members (N + 1 counts; ties split at random, seeded)."""
    import scoringrules  # imported where a CRPS is scored: see probabilistic_scores

    ens = np.moveaxis(np.asarray(members, dtype="float64"), 0, -1)
    obs = np.asarray(truth, dtype="float64")
    valid = np.isfinite(obs) & np.isfinite(ens).all(axis=-1)
    obs, ens = obs[valid], ens[valid]
    size = ens.shape[-1]
    if obs.size == 0:
        raise DeepcamsError("no pixel where the truth and every member are finite")
    below, ties = (ens < obs[:, None]).sum(axis=1), (ens == obs[:, None]).sum(axis=1)
    ranks = below + np.floor(np.random.default_rng(0).random(obs.size) * (ties + 1)).astype(int)
    mean, sigma = ens.mean(axis=1), ens.std(axis=1, ddof=1)
    calibrated = calibration.sigma(sigma, mean)
    error = mean - obs
    rmse = float(np.sqrt(np.mean(error**2)))
    root_mean_square = lambda values: float(np.sqrt(np.mean(values**2)))  # noqa: E731
    ratio = lambda value: value / rmse if rmse > 0 else float("nan")  # noqa: E731
    crps = scoringrules.crps_normal(obs, mean, np.maximum(calibrated, SIGMA_FLOOR))
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": rmse,
        "crps": float(np.mean(crps)),
        "crps_members": float(np.mean(scoringrules.crps_ensemble(obs, ens, estimator="fair"))),
        "spread_skill": ratio(root_mean_square(calibrated)),
        "spread_skill_members": ratio(np.sqrt((size + 1) / size) * root_mean_square(sigma)),
        "rank_histogram": np.bincount(ranks, minlength=size + 1).tolist(),
        "n": int(obs.size),
    }


def member_scores(pred: xr.Dataset, truth: xr.Dataset, *, bbox: BBox | str | None = None) -> dict:
    """`ensemble_scores` of a product's members (`pm25_member`, from `members=True`) against `truth`,
    unweighted, with the product's own calibration."""
    if MEMBERS not in pred:
        raise DeepcamsError("the product holds no members (downscale with members=True / --members)")
    fields = [
        _aligned(_field(pred.isel(realization=k), MEMBERS), truth, bbox)
        for k in range(pred.sizes["realization"])
    ]
    members = np.stack([p.values for p, _ in fields])
    calibration = Calibration(
        float(pred.attrs.get("spread_scale", 1.0)), float(pred.attrs.get("mean_scale", 0.0))
    )
    return ensemble_scores(members, fields[0][1].values, calibration)


def compare(
    predictions: dict[str, xr.Dataset],
    truth: xr.Dataset,
    *,
    bbox: BBox | str | None = None,
    weighted: bool = False,
) -> pd.DataFrame:
    """One row of aggregated scores per named prediction (the comparison table of CLI and app).

    Every method is scored on the same pixels: those where the truth and all predictions are finite,
    so a method that leaves more NaN near data gaps is not judged on an easier set. When any prediction is
    an ensemble product, the table has the `PROBABILISTIC` columns too (a point forecast's CRPS is its MAE).
    """
    common = truth.copy()
    for ds in predictions.values():
        p, t = _aligned(ds, common, bbox)
        common = xr.Dataset({"pm25": t.where(p.notnull())}, attrs=truth.attrs)
    with ThreadPoolExecutor(_THREADS) as pool:  # numpy releases the GIL: the methods are scored side by side
        rows = pool.map(lambda ds: summarize(ds, common, weighted=weighted), predictions.values())
        table = dict(zip(predictions, rows, strict=True))
    columns = [*METRICS, "n"]
    if any(SPREAD in ds for ds in predictions.values()):
        for name, ds in predictions.items():
            table[name].update(probabilistic_scores(ds, common, weighted=weighted))
        columns[-1:-1] = PROBABILISTIC
    return pd.DataFrame.from_dict(table, orient="index")[columns]


def skill_maps(pred: xr.Dataset, truth: xr.Dataset, *, bbox: BBox | str | None = None) -> xr.Dataset:
    """Per-pixel bias, RMSE and Pearson R over the common time steps (WeatherBench2-style skill maps), with
    their area-weighted means over the finite pixels in the attributes (`mean_bias`, `mean_rmse`, `mean_r`)."""
    p, t = _aligned(pred, truth, bbox)
    both = p.notnull() & t.notnull()
    p, t = p.where(both), t.where(both)
    error = p - t
    pa, ta = p - p.mean("time"), t - t.mean("time")
    denominator = np.sqrt((pa**2).mean("time") * (ta**2).mean("time"))
    maps = xr.Dataset(
        {
            "bias": error.mean("time"),
            "rmse": np.sqrt((error**2).mean("time")),
            "r": ((pa * ta).mean("time") / denominator).where(denominator > 0),
        }
    )
    rows = xr.DataArray(area_weights(maps["lat"].values, grid_of(p).step), coords={"lat": maps["lat"]})
    for name in ("bias", "rmse", "r"):
        maps[name].attrs = {"units": "1" if name == "r" else "ug m-3", "long_name": f"{name} over time"}
        maps.attrs[f"mean_{name}"] = float(maps[name].weighted(rows).mean(("lat", "lon"), skipna=True))
    return maps


def power_spectrum(ds: xr.Dataset, *, bbox: BBox | str | None = None) -> xr.DataArray:
    """Radially averaged power spectrum of each frame's anomaly, averaged over frames, against wavenumber
    (cycles per degree): whether a method adds real fine detail or smooths it away. NaN pixels are set to the
    frame's mean; the grid is taken as planar in degrees (fine for regions, rough near the poles)."""
    field = check_canonical(
        ds if bbox is None else xr.Dataset({"pm25": select_region(check_canonical(ds), bbox)})
    )
    step = grid_of(field).step
    values = np.asarray(field.values, dtype="float64")
    ny, nx = values.shape[1:]
    ky, kx = np.meshgrid(np.fft.fftfreq(ny), np.fft.fftfreq(nx), indexing="ij")
    radius = np.hypot(ky, kx)
    edges = np.arange(0.5, min(ny, nx) // 2 + 1) / min(ny, nx)  # cycles per pixel, one bin per resolvable k
    which = np.digitize(radius.ravel(), edges)
    power = np.zeros(edges.size - 1)
    frames = 0
    for frame in values:
        if not np.isfinite(frame).any():
            continue
        anomaly = np.where(np.isfinite(frame), frame, np.nanmean(frame)) - np.nanmean(frame)
        spectrum = np.abs(np.fft.fft2(anomaly)) ** 2 / anomaly.size
        sums = np.bincount(which, weights=spectrum.ravel(), minlength=edges.size + 1)
        counts = np.bincount(which, minlength=edges.size + 1)
        power += sums[1 : edges.size] / np.maximum(counts[1 : edges.size], 1)
        frames += 1
    if frames == 0:
        raise DeepcamsError("no finite frame to take a power spectrum of")
    centres = (edges[:-1] + edges[1:]) / 2 / step
    return xr.DataArray(
        power / frames,
        coords={"wavenumber": centres},
        dims="wavenumber",
        attrs={"units": "(ug m-3)^2", "long_name": "radially averaged power spectrum"},
    ).assign_coords(wavenumber=("wavenumber", centres, {"units": "cycles per degree"}))
