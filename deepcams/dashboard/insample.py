"""Where the shipped weights were trained, read from their metadata, so a score on those pixels is called
in-sample and the overview can mark the training and held-out bands.

A dataset names the training data it comes from (`Source.training_name`: "sample" for the real GEOS-CF
frames, "synthetic:SEED" for the synthetic world); a stage trained on it saw the pixels of its training
bands ("sample") or the whole globe (the synthetic world of the same seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from deepcams.errors import DeepcamsError
from deepcams.grids import BBox, wrap_lon
from deepcams.models.checkpoint import read_metadata
from deepcams.models.inference import default_weights

Band = tuple[float, float]
STAGES = ("ssr", "tsr")
HALO_DEGREES = 7.0  # the held-out box stays this far inside the band: the input's gaps spread that far


@dataclass(frozen=True)
class Training:
    """What one stage's shipped weights trained on (from their metadata)."""

    stage: str
    data: tuple[str, ...]
    train_bands: tuple[Band, ...]
    val_band: Band | None
    synthetic_seed: int | None

    def saw(self, training_name: str | None, lon: np.ndarray) -> np.ndarray:
        """Which of the longitudes `lon` of data `training_name` this stage trained on."""
        lon = np.asarray(wrap_lon(np.asarray(lon, dtype="float64")))
        if training_name == "sample" and "sample" in self.data:
            return np.any([(lon >= w) & (lon < e) for w, e in self.train_bands], axis=0)
        seen = training_name == f"synthetic:{self.synthetic_seed}" and "synthetic" in self.data
        return np.full(lon.shape, seen)


@cache
def shipped() -> tuple[Training, ...]:
    """The shipped stages' training, in STAGES order; a stage without readable weights is left out."""
    out = []
    for stage in STAGES:
        try:
            training = read_metadata(default_weights(stage)).get("training", {})
        except DeepcamsError:
            continue
        world = training.get("synthetic_world") or {}
        out.append(
            Training(
                stage,
                tuple(training.get("data", ())),
                tuple(tuple(b) for b in training.get("train_bands", ())),
                tuple(training["val_band"]) if training.get("val_band") else None,
                world.get("seed"),
            )
        )
    return tuple(out)


def in_sample_share(training_name: str | None, lon: np.ndarray) -> float:
    """Share of the longitudes `lon` (a scored region's columns) that any shipped stage trained on."""
    if training_name is None or len(lon) == 0:
        return 0.0
    seen = np.any([t.saw(training_name, lon) for t in shipped()] or [np.zeros(len(lon), bool)], axis=0)
    return float(np.mean(seen))


def held_out_box() -> BBox:
    """The spatial stage's validation band less HALO_DEGREES each side, 60 S to 60 N (quick to run)."""
    bands = [t.val_band for t in shipped() if t.val_band is not None]
    west, east = bands[0] if bands else (-60.0, 0.0)
    return BBox(west + HALO_DEGREES, -60.0, east - HALO_DEGREES, 60.0)
