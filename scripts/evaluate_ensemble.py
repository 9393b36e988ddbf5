"""The deep ensemble's spread calibration and its skill on held-out real data (docs/model-card.md).

Fit (`--write`): one spread factor makes the spread as large as the errors of the ensemble mean
(sqrt(mean spread^2) = RMSE) on the real sample's two TRAINING bands (lon [-180, -120) and [60, 120), less
11 deg each side) in the simulation protocol: 00 and 03 UTC coarse -> 4 hourly frames. It is written to
deepcams/data/weights/ensemble/calibration.json, which `downscale` applies to every ensemble product.

Evaluation, with that factor, on real data no member trained on:
  two-stage:  the held-out band (lon -49 .. -11), 00 and 03 UTC coarse -> 4 hourly frames
  spatial:    the same band, every hourly frame coarsened and brought back (the S-SR members alone)
  temporal:   GEOS-Chem over Europe, its held-out last day, every 3rd hour in (the T-SR members alone)
and, for comparison, the demo world in simulation mode (synthetic, never trained on), one day a preset.
The Europe sequence is read from ../shared (no stated licence: never packaged), as `make weights` reads it.
Usage: python scripts/evaluate_ensemble.py [--write]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

import deepcams as dc
from deepcams.dashboard.regions import PRESETS
from deepcams.ensemble import CALIBRATION
from deepcams.grids import coarsen, wrap_lon
from deepcams.metrics import ensemble_scores
from deepcams.models import member_weights
from deepcams.models.training.evaluation import held_out_bbox, held_out_truth, sequence_runs
from deepcams.recipes import (
    ENSEMBLE_SIZE,
    EUROPE_SEQUENCE,
    FOLDS,
    SEQUENCE_HELD_OUT_HOURS,
    SHIPPED_SPLIT,
    fold_split,
)
from deepcams.sources.training import hourly_sequence
from deepcams.synthetic import open_demo


def members_of(cams, bbox, allow_nan: bool = False):
    """(N, time, lat, lon) of the ensemble's members over `bbox` (the calibration is applied later)."""
    run = dc.downscale(cams, "deepcams-ensemble", bbox=bbox, members=True, allow_nan=allow_nan)
    return run["pm25_member"]


def on_truth(members, truth) -> tuple[np.ndarray, np.ndarray]:
    lon = np.round(wrap_lon(members["lon"].values), 6)  # a region across the antimeridian runs past 180
    cut = truth["pm25"].sel(time=members["time"], lat=members["lat"], lon=lon)
    return members.values, cut.values


def fit(scale_from: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """RMSE of the mean over the members' raw spread (ddof 1), pooled over every pixel given."""
    errors, spreads = [], []
    for members, truth in scale_from:
        valid = np.isfinite(truth) & np.isfinite(members).all(axis=0)
        errors.append((members.mean(axis=0)[valid] - truth[valid]) ** 2)
        spreads.append(members.std(axis=0, ddof=1)[valid] ** 2)
    return float(np.sqrt(np.concatenate(errors).mean() / np.concatenate(spreads).mean()))


def row(label: str, members: np.ndarray, truth: np.ndarray, scale: float) -> dict:
    scores = ensemble_scores(members, truth, scale)
    single = ensemble_scores(members[:1].repeat(2, axis=0), truth)  # member 0 alone: deepcams
    return {
        "data": label,
        "deepcams MAE": single["mae"],
        "deepcams RMSE": single["rmse"],
        "mean MAE": scores["mae"],
        "mean RMSE": scores["rmse"],
        "CRPS": scores["crps"],
        "CRPS members": scores["crps_members"],
        "spread/RMSE raw": scores["spread_skill"] / scale,
        "spread/RMSE": scores["spread_skill"],
        "rank histogram": " ".join(map(str, scores["rank_histogram"])),
        "n": scores["n"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the fitted factor into the package")
    args = parser.parse_args()
    sample = dc.open_sample_geoscf()
    simulated = dc.simulate(sample)
    training = {}
    for fold, band in FOLDS.items():
        if band in SHIPPED_SPLIT.train_bands:
            split = fold_split(fold)
            members = members_of(simulated, held_out_bbox(split), allow_nan=True)
            training[fold] = on_truth(members, held_out_truth(sample, split))
    scale = fit(list(training.values()))
    print(f"spread factor fitted on the real sample's training bands ({', '.join(training)}): {scale:.3f}")
    if args.write:
        path = member_weights("ssr", 1).parent / CALIBRATION
        record = {
            "spread_scale": round(scale, 4),
            "fitted_on": "the real sample's training bands lon [-180, -120) and [60, 120), two-stage",
            "command": "python scripts/evaluate_ensemble.py --write",
        }
        path.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {path}")

    rows = [row(f"real training band {fold} (fit)", *pair, scale) for fold, pair in training.items()]
    band = held_out_truth(sample)
    two_stage = members_of(simulated, held_out_bbox())
    members, target = on_truth(two_stage, band)
    rows.append(row("real band, two-stage, all hours", members, target, scale))
    rows.append(row("real band, two-stage, input hours", members[:, [0, 3]], target[[0, 3]], scale))
    rows.append(row("real band, two-stage, hours between", members[:, [1, 2]], target[[1, 2]], scale))
    spatial = members_of(coarsen(sample), held_out_bbox())
    rows.append(row("real band, spatial (each hour)", *on_truth(spatial, band), scale))

    europe = hourly_sequence(EUROPE_SEQUENCE).data
    held_out = europe.isel(time=slice(europe.sizes["time"] - SEQUENCE_HELD_OUT_HOURS - 3, None))
    methods = {k: dc.get_method("deepcams", member=k) for k in range(ENSEMBLE_SIZE)}
    runs = sequence_runs(methods, held_out)
    members = np.stack([runs[k][0] for k in range(ENSEMBLE_SIZE)])
    rows.append(row("real Europe day, temporal", members, runs[0][1], scale))

    cams, truth = open_demo(exact=True)
    day = cams.sel(time=slice(cams.time.values[0], cams.time.values[0] + pd.Timedelta(hours=24)))
    for region, box in PRESETS.items():
        rows.append(row(f"demo {region} (synthetic)", *on_truth(members_of(day, box), truth), scale))

    table = pd.DataFrame(rows).set_index("data")
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(table.round(4).to_string())
    assert np.isfinite(table.drop(columns="rank histogram").values.astype(float)).all()


if __name__ == "__main__":
    main()
