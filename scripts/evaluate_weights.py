"""Skill of the shipped weights on the held-out real band, in the simulation protocol (docs/model-card.md).

The real GEOS-CF sample's validation band (`deepcams.recipes.SHIPPED_SPLIT`, lon [-60, 0)) was never used
for training. Scores are computed over the band less 11 deg at each side, so the models' reach stays inside
the band too (`deepcams.models.training.evaluation`):
  spatial:   every hourly frame coarsened to the CAMS grid and brought back (the pipeline, one step each)
  temporal:  on the CAMS grid, the 01 and 02 UTC frames from the 00 and 03 UTC ones
  two-stage: the pipeline from the 00 and 03 UTC coarse frames to all four hourly frames
Usage: python scripts/evaluate_weights.py
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import deepcams as dc
from deepcams.models.training.evaluation import (
    held_out_bbox,
    held_out_truth,
    spatial_runs,
    temporal_runs,
    two_stage_runs,
)


def table(frame: pd.DataFrame, baseline: str) -> str:
    frame = frame[["rmse", "mae", "r", "ssim"]].copy()
    frame["rmse / baseline"] = frame["rmse"] / frame.loc[baseline, "rmse"]
    frame["mae / baseline"] = frame["mae"] / frame.loc[baseline, "mae"]
    return frame.round(4).to_string()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    truth = dc.open_sample_geoscf()
    region = held_out_truth(truth)
    conserving = dc.get_method("deepcams", conserve=True)
    free = dc.get_method("deepcams", conserve=False)

    runs = spatial_runs(
        {
            "bicubic": "bicubic-nearest",
            "deepcams": conserving,
            "deepcams (no conservation)": free,
            "conservative bicubic": "conservative-nearest",
        },
        truth,
    )
    print("## spatial (4 hourly frames, CAMS grid -> GEOS-CF grid)\n")
    print(table(dc.compare(runs, region), "bicubic"))
    correction = runs["deepcams"].attrs["conservation_relative_correction"]
    print(f"\nconservation correction: {correction:.4f}\n")

    runs, inner = temporal_runs({"linear": dc.get_method("bicubic-linear"), "deepcams": conserving}, truth)
    print("## temporal (CAMS grid, 01 and 02 UTC from 00 and 03 UTC)\n")
    print(table(dc.compare(runs, inner, bbox=held_out_bbox()), "linear"))
    print()

    runs = two_stage_runs(
        {"bicubic-linear": "bicubic-linear", "deepcams": conserving, "deepcams (no conservation)": free},
        truth,
    )
    print("## two-stage (00 and 03 UTC coarse -> 4 hourly frames on the GEOS-CF grid)\n")
    print(table(dc.compare(runs, region), "bicubic-linear"))
    between = region.isel(time=[1, 2])
    print("\nthe two interpolated hours only:\n")
    print(table(dc.compare(runs, between), "bicubic-linear"))
    print("\nper hour RMSE:\n")
    hourly = {name: dc.evaluate(ds, region)["rmse"] for name, ds in runs.items()}
    print(pd.DataFrame(hourly).round(4).to_string())
    assert np.isfinite(pd.DataFrame(hourly).values).all()


if __name__ == "__main__":
    main()
