"""Trained weights on the held-out real band, through the full pipeline (the simulation protocol).

Unlike the training log's validation (the networks alone, band edges left out), these runs go through
`deepcams.downscale`, halo included: they are scored over the validation band less HALO_DEGREES at each
side, so that the models' halo (8 CAMS cells, 6 deg) stays inside the band too. `truth` is hourly
GEOS-CF-grid data, e.g. the real sample; scripts/evaluate_weights.py and scripts/compare_ssr.py print
the tables (docs/model-card.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import xarray as xr

from deepcams.grids import CAMS, BBox, coarsen, select_region
from deepcams.methods import Method
from deepcams.pipeline import downscale, simulate
from deepcams.recipes import SHIPPED_SPLIT, Split

HALO_DEGREES = 7.0
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
