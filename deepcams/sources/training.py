"""Training data by name: the packaged real sample, the synthetic world, or GEOS-CF files.

Only opens the datasets; cutting them into longitude bands and patches is `deepcams.models.training`'s job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from deepcams.grids import CAMS, GEOSCF, Grid
from deepcams.io import open_geoscf
from deepcams.sources.sample import open_sample_cams, open_sample_geoscf
from deepcams.synthetic import make_world


@dataclass(frozen=True)
class TrainingSet:
    """One dataset to train on: hourly truth on the GEOS-CF grid, or (the real CAMS sample) 3-hourly input
    on the CAMS grid. The synthetic world holds no real data, which decides where it may be trained on."""

    name: str
    data: xr.Dataset
    grid: Grid = GEOSCF
    synthetic: bool = False


def training_sets(names: Iterable[str], synthetic_days: int = 4, seed: int = 0) -> list[TrainingSet]:
    """The datasets for each name: 'sample' (the real CAMS frames, then the real GEOS-CF frames),
    'synthetic' (the truth of `make_world(days=synthetic_days, seed=seed)`), or a GEOS-CF file or glob."""
    sets = []
    for name in names:
        if name == "synthetic":
            truth = make_world(days=synthetic_days, seed=seed)[1]
            sets.append(TrainingSet("synthetic world", truth, synthetic=True))
        elif name == "sample":
            sets.append(TrainingSet("real CAMS sample", open_sample_cams(), grid=CAMS))
            sets.append(TrainingSet("real GEOS-CF sample", open_sample_geoscf()))
        else:
            sets.append(TrainingSet(Path(name).name, open_geoscf(name).load()))
    return sets
