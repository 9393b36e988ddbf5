"""DeepCAMS against the baselines on the demo world, in simulation mode or with CAMS-like errors (docs/model-card.md).

Simulation mode (`open_demo(exact=True)`): the input is the synthetic truth coarsened to the CAMS grid every
3 hours, so the scores measure downscaling alone. With `--cams-like-errors` the input is the demo's other
model of the same world (displaced, biased: errors no downscaler can remove), as the dashboard's second demo
dataset. The demo world (seed 0) is never trained on: `make weights` draws its synthetic world with another
seed (`deepcams.recipes.SYNTHETIC_SEED`). One day per region preset, scored at the input hours and at the
hours between.
Usage: python scripts/evaluate_demo.py [--regions Europe "East Asia" ...] [--cams-like-errors]
    [--ssr-weights FILE] [--tsr-weights FILE]
"""

from __future__ import annotations

import argparse

import pandas as pd

import deepcams as dc
from deepcams.dashboard.regions import PRESETS
from deepcams.synthetic import open_demo

METHODS = ("deepcams", "bicubic-linear", "conservative-linear", "bicubic-pchip", "bicubic-cubic")


def region_scores(cams, truth, region: str, deepcams_options: dict) -> pd.DataFrame:
    bbox = PRESETS[region]
    day = cams.sel(time=slice(cams.time.values[0], cams.time.values[0] + pd.Timedelta(hours=24)))
    methods = {name: dc.get_method(name) for name in METHODS}
    methods["deepcams"] = dc.get_method("deepcams", **deepcams_options)
    runs = {name: dc.downscale(day, method, bbox=bbox) for name, method in methods.items()}
    hours = pd.DatetimeIndex(runs["deepcams"].time.values)
    parts = {"input hours": hours[hours.hour % 3 == 0], "hours between": hours[hours.hour % 3 != 0]}
    rows = []
    for part, times in parts.items():
        table = dc.compare({k: v.sel(time=times) for k, v in runs.items()}, truth.sel(time=times), bbox=bbox)
        for method, row in table.iterrows():
            rows.append({"region": region, "hours": part, "method": method, "rmse": row.rmse, "mae": row.mae})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    parser.add_argument(
        "--cams-like-errors", action="store_true", help="the demo's input with its own errors"
    )
    parser.add_argument("--ssr-weights", help="S-SR weights for deepcams (default: the shipped ones)")
    parser.add_argument("--tsr-weights", help="T-SR weights for deepcams (default: the shipped ones)")
    args = parser.parse_args()
    options = {
        f"{stage}_weights": path
        for stage, path in (("ssr", args.ssr_weights), ("tsr", args.tsr_weights))
        if path
    }
    cams, truth = open_demo(exact=not args.cams_like_errors)
    frame = pd.concat(
        [region_scores(cams, truth, region, options) for region in args.regions], ignore_index=True
    )
    wide = frame.pivot_table(index=["region", "hours"], columns="method", values=["rmse", "mae"])
    print(wide.round(3).to_string())
    best = frame.loc[frame.groupby(["region", "hours"])["rmse"].idxmin()]
    print("\nlowest RMSE:", dict(best["method"].value_counts()))
    wins = frame.pivot_table(index=["region", "hours"], columns="method", values=["rmse", "mae"])
    beaten = all(
        (wins[(metric, "deepcams")] < wins[(metric, other)]).all()
        for metric in ("rmse", "mae")
        for other in METHODS[1:]
    )
    print("deepcams lower RMSE and MAE than every baseline everywhere:", beaten)


if __name__ == "__main__":
    main()
