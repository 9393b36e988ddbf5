"""Skill of the shipped weights on the held-out real band, in the simulation protocol (docs/model-card.md).

The real GEOS-CF sample's band lon [-60, 0) was never used for training. Scores are computed over
VAL_BBOX, the band less 7 deg at each side, so the models' halo stays inside the band too.
  spatial:   every hourly frame coarsened to the CAMS grid and brought back (the pipeline, one step each)
  temporal:  on the CAMS grid, the 01 and 02 UTC frames from the 00 and 03 UTC ones
  two-stage: the pipeline from the 00 and 03 UTC coarse frames to all four hourly frames
Usage: python scripts/evaluate_weights.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import deepcams as dc
from deepcams.grids import coarsen
from deepcams.methods.temporal import TemporalBaseline
from deepcams.metrics import compare
from deepcams.models.inference import deepcams_method

VAL_BBOX = "-53,-90,-7,90"


def table(frame: pd.DataFrame, baseline: str) -> str:
    frame = frame[["rmse", "mae", "r", "ssim"]].copy()
    frame["rmse / baseline"] = frame["rmse"] / frame.loc[baseline, "rmse"]
    frame["mae / baseline"] = frame["mae"] / frame.loc[baseline, "mae"]
    return frame.round(4).to_string()


def main() -> None:
    truth = dc.open_sample_geoscf()
    region = dc.select_region(truth, VAL_BBOX)
    conserving, free = deepcams_method(conserve=True), deepcams_method(conserve=False)

    coarse_all = coarsen(truth)  # every hour: spatial stage alone (step 1 h leaves time alone)
    runs = {
        "bicubic": dc.downscale(coarse_all, "bicubic-nearest", bbox=VAL_BBOX),
        "deepcams": dc.downscale(coarse_all, conserving, bbox=VAL_BBOX),
        "deepcams (no conservation)": dc.downscale(coarse_all, free, bbox=VAL_BBOX),
        "conservative bicubic": dc.downscale(coarse_all, "conservative-nearest", bbox=VAL_BBOX),
    }
    print("## spatial (4 hourly frames, CAMS grid -> GEOS-CF grid)\n")
    print(table(compare(runs, region), "bicubic"))
    print(f"\nconservation correction: {conserving.attrs['conservation_relative_correction']:.4f}\n")

    # the band's whole CAMS cells (NaN-free), so the temporal model has context; scored over VAL_BBOX
    cams_grid = dc.select_region(coarse_all, "-59.25,-90,-0.75,90")
    ends = cams_grid["pm25"].values[[0, 3]]
    model_hourly = conserving.temporal.interpolate(ends, 3)
    linear_hourly = TemporalBaseline("linear").interpolate(ends, 3)
    inner = cams_grid.isel(time=[1, 2])
    runs = {
        "linear": inner.copy(data={"pm25": linear_hourly[1:3]}),
        "deepcams": inner.copy(data={"pm25": model_hourly[1:3]}),
    }
    print("## temporal (CAMS grid, 01 and 02 UTC from 00 and 03 UTC)\n")
    print(table(compare(runs, inner, bbox=VAL_BBOX), "linear"))
    print()

    simulated = dc.simulate(truth)
    runs = {
        "bicubic-linear": dc.downscale(simulated, "bicubic-linear", bbox=VAL_BBOX),
        "deepcams": dc.downscale(simulated, deepcams_method(conserve=True), bbox=VAL_BBOX),
        "deepcams (no conservation)": dc.downscale(simulated, deepcams_method(conserve=False), bbox=VAL_BBOX),
    }
    print("## two-stage (00 and 03 UTC coarse -> 4 hourly frames on the GEOS-CF grid)\n")
    print(table(compare(runs, region), "bicubic-linear"))
    between = region.isel(time=[1, 2])
    print("\nthe two interpolated hours only:\n")
    print(table(compare(runs, between), "bicubic-linear"))
    print("\nper hour RMSE:\n")
    hourly = {name: dc.evaluate(ds, region)["rmse"] for name, ds in runs.items()}
    print(pd.DataFrame(hourly).round(4).to_string())
    assert np.isfinite(pd.DataFrame(hourly).values).all()


if __name__ == "__main__":
    main()
