"""Training data by name: the packaged real sample, the synthetic world, or GEOS-CF files.

Only opens the datasets; cutting them into longitude bands and patches is `deepcams.models.training`'s job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from deepcams.grids import CAMS, GEOSCF, Grid, interpolate_to_nodes
from deepcams.io import open_geoscf, open_model_output
from deepcams.sources.sample import open_sample_geoscf
from deepcams.synthetic import make_world

HOURLY = "hourly:"  # prefix of a data name: a model's hourly PM2.5 on its own grid, for the temporal stage


@dataclass(frozen=True)
class TrainingSet:
    """One dataset to train on: hourly truth on the GEOS-CF grid, or an hourly sequence on the CAMS nodes
    (a regional model's output: `hourly` is True). The synthetic world holds no real data, which decides
    where it may be trained on."""

    name: str
    data: xr.Dataset
    grid: Grid = GEOSCF
    synthetic: bool = False
    hourly: bool = False


def hourly_sequence(path: str, variable: str = "PM25") -> TrainingSet:
    """A chemistry-transport model's hourly PM2.5 (e.g. a GEOS-Chem nested run) on the CAMS nodes."""
    data = open_model_output(path, variable, source=f"chemistry-transport model output ({Path(path).name})")
    return TrainingSet(Path(path).name, interpolate_to_nodes(data.load(), CAMS), grid=CAMS, hourly=True)


def training_sets(names: Iterable[str], synthetic_days: int = 4, seed: int = 0) -> list[TrainingSet]:
    """The datasets for each name: 'sample' (the real GEOS-CF frames),
    'synthetic' (the truth of `make_world(days=synthetic_days, seed=seed)`), 'hourly:PATH' (a model's
    hourly PM2.5 sequence, `hourly_sequence`), or a GEOS-CF file or glob."""
    sets = []
    for name in names:
        if name == "synthetic":
            truth = make_world(days=synthetic_days, seed=seed)[1]
            sets.append(TrainingSet("synthetic world", truth, synthetic=True))
        elif name.startswith(HOURLY):
            sets.append(hourly_sequence(name.removeprefix(HOURLY)))
        elif name == "sample":
            sets.append(TrainingSet("real GEOS-CF sample", open_sample_geoscf()))
        else:
            sets.append(TrainingSet(Path(name).name, open_geoscf(name).load()))
    return sets
