"""Trained weights on the held-out real band, through the full pipeline (the simulation protocol).

Unlike the training log's validation (the networks alone, band edges left out), these runs go through
`deepcams.downscale`, halo included: they are scored over the validation band less HALO_DEGREES at each
side, so that the models' reach (the S-SR halo of 8 CAMS cells plus the T-SR's 6: 10.5 deg) stays inside the band. `truth` is hourly
GEOS-CF-grid data, e.g. the real sample; scripts/evaluate_weights.py and scripts/compare_ssr.py print
the tables (docs/model-card.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from deepcams.grids import CAMS, BBox, coarsen, select_region
from deepcams.methods import Method
from deepcams.pipeline import downscale, simulate
from deepcams.recipes import SHIPPED_SPLIT, Split

HALO_DEGREES = 11.0  # the S-SR halo (8 cells) plus the T-SR reach (6 cells): 10.5 deg
Methods = Mapping[str, Method | str]  # methods by the label their row gets


def held_out_bbox(split: Split = SHIPPED_SPLIT) -> BBox:
    """The validation band less HALO_DEGREES at each side, pole to pole: where the runs are scored."""
    west, east = split.val_band
    return BBox(west + HALO_DEGREES, -90.0, east - HALO_DEGREES, 90.0)


def held_out_truth(truth: xr.Dataset, split: Split = SHIPPED_SPLIT) -> xr.Dataset:
    return select_region(truth, held_out_bbox(split))


def spatial_runs(methods: Methods, truth: xr.Dataset, split: Split = SHIPPED_SPLIT) -> dict[str, xr.Dataset]:
    """The spatial stage alone: every hourly frame coarsened to the CAMS grid and brought back."""
    coarse = coarsen(truth)  # a step of 1 h leaves time alone
    return {name: downscale(coarse, m, bbox=held_out_bbox(split)) for name, m in methods.items()}


def temporal_runs(
    methods: Mapping[str, Method], truth: xr.Dataset, split: Split = SHIPPED_SPLIT
) -> tuple[dict[str, xr.Dataset], xr.Dataset]:
    """The temporal stage alone, on the CAMS grid: the 2nd and 3rd frames from the 1st and 4th (3 h apart).

    Runs over the band's whole CAMS cells (NaN-free, so the model has context); returns the runs and
    their truth, to be scored over `held_out_bbox`.
    """
    west, east = split.val_band
    cells = BBox(west + CAMS.step, -90.0, east - CAMS.step, 90.0)
    cams_grid = select_region(coarsen(truth), cells)
    ends = cams_grid["pm25"].values[[0, 3]]
    inner = cams_grid.isel(time=[1, 2])
    runs = {
        name: inner.copy(data={"pm25": m.temporal.interpolate(ends, 3)[1:3]}) for name, m in methods.items()
    }
    return runs, inner


def two_stage_runs(
    methods: Methods, truth: xr.Dataset, split: Split = SHIPPED_SPLIT
) -> dict[str, xr.Dataset]:
    """Both stages: from the simulated 3-hourly coarse input (`simulate`) to every hourly fine frame."""
    simulated = simulate(truth)
    return {name: downscale(simulated, m, bbox=held_out_bbox(split)) for name, m in methods.items()}


def sequence_runs(
    methods: Mapping[str, Method], sequence: xr.Dataset, step: int = 3, pad: int = 8
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The temporal stage alone on a real hourly sequence: every `step`-th hour is the input (each of the
    `step` phases in turn), the hours between are scored. Returns (prediction, truth) of those hours.

    The fields are padded by `pad` cells replicating their edges, as the pipeline's halo does for a
    regional input, and cropped back before scoring.
    """
    values = sequence["pm25"].values.astype("float32")
    times = sequence["time"].values
    lon = sequence["lon"].values
    lon = np.concatenate(
        [lon[0] - CAMS.step * np.arange(pad, 0, -1), lon, lon[-1] + CAMS.step * np.arange(1, pad + 1)]
    )
    out: dict[str, tuple[list, list]] = {name: ([], []) for name in methods}
    for phase in range(step):
        picked = np.arange(phase, values.shape[0], step)
        frames = np.pad(values[picked], ((0, 0), (pad, pad), (pad, pad)), mode="edge")
        hours = np.arange(picked[0], picked[-1] + 1)
        between = (hours - picked[0]) % step != 0
        for name, method in methods.items():
            hourly = method.temporal.interpolate(frames, step, times=times[picked], lon=lon)
            out[name][0].append(hourly[between][:, pad:-pad, pad:-pad])
            out[name][1].append(values[hours[between]])
    return {name: (np.concatenate(p), np.concatenate(t)) for name, (p, t) in out.items()}
