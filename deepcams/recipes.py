"""The training recipe, written once: the held-out split, the default and the shipped settings.

`deepcams train`'s defaults, `make weights` (scripts/train_weights.py), the band cross-validation and the
held-out evaluation (`deepcams.models.training`) all read them from here, so the shipped weights' settings
cannot drift apart (docs/model-card.md says why each was chosen). Plain settings, free of torch: the
CLI's help shows them without loading the models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from deepcams.errors import DeepcamsError
from deepcams.grids import wrap_lon

Band = tuple[float, float]  # longitude band [W, E) in degrees; W > E crosses the antimeridian

# The real GEOS-CF sample's visible longitude bands (the others are NaN upstream): the cross-validation folds.
FOLDS: Mapping[str, Band] = MappingProxyType({"A": (-180.0, -120.0), "B": (-60.0, 0.0), "C": (60.0, 120.0)})
SHIPPED_FOLD = "B"  # the shipped weights validate on lon [-60, 0) (Atlantic, Saharan dust)
SEQUENCE_HELD_OUT_HOURS = 24  # an hourly training sequence (`hourly:PATH`) validates on its last day
# 72 real hours of GEOS-Chem PM2.5 over Europe (January 2005): the shipped T-SR's real hourly sequence. It has
# no stated licence, so it is read from the shared data folder next to the repository, never packaged.
EUROPE_SEQUENCE = "../shared/data/realworld/geoschem-europe-2005-01/PM25.1h.JAN.OFF.nc4"
SEED = 0
SYNTHETIC_DAYS = 4  # days of synthetic world drawn next to the real data
# the synthetic world trained on is never the demo's (seed 0), so the demo in simulation mode is held out
SYNTHETIC_SEED = 1
SYNTHETIC_SHARE = 0.2  # next to real data, the share of training patches from the synthetic world (S-SR's)
DATA = ("sample",)  # `deepcams train`'s default data: names for `deepcams.sources.training_sets`


def _arcs(band: Band) -> list[Band]:
    west, width = float(wrap_lon(band[0], 0.0)), float(wrap_lon(band[1] - band[0], 0.0))
    return [(west, min(west + width, 360))] + ([(0, west + width - 360)] if west + width > 360 else [])


def _overlap(a: Band, b: Band) -> bool:
    """True when two longitude bands share any longitude."""
    return any(lo1 < hi2 and lo2 < hi1 for lo1, hi1 in _arcs(a) for lo2, hi2 in _arcs(b))


@dataclass(frozen=True)
class Split:
    """Training and validation longitude bands: by band, never by pixel, and never overlapping."""

    train_bands: tuple[Band, ...]
    val_band: Band

    def __post_init__(self) -> None:
        object.__setattr__(self, "train_bands", tuple(tuple(b) for b in self.train_bands))
        object.__setattr__(self, "val_band", tuple(self.val_band))
        if any(_overlap(b, self.val_band) for b in self.train_bands):
            raise DeepcamsError("a training band overlaps the validation band; they must be disjoint")

    def describe(self) -> dict:
        """The split as the checkpoints' metadata records it."""
        fmt = lambda band: f"lon [{band[0]:g}, {band[1]:g})"  # noqa: E731
        return {
            "split": "by longitude band (never by pixel): train on "
            + " and ".join(fmt(b) for b in self.train_bands)
            + f", validate on {fmt(self.val_band)}",
            "train_bands": [list(b) for b in self.train_bands],
            "val_band": list(self.val_band),
        }


def fold_split(fold: str) -> Split:
    """Validate on one visible band of the real sample, train on the other two."""
    if fold not in FOLDS:
        raise DeepcamsError(f"unknown fold {fold!r}; choose from {', '.join(FOLDS)}")
    return Split(tuple(band for name, band in FOLDS.items() if name != fold), FOLDS[fold])


SHIPPED_SPLIT = fold_split(SHIPPED_FOLD)
TRAIN_BANDS = SHIPPED_SPLIT.train_bands
VAL_BAND = SHIPPED_SPLIT.val_band


@dataclass(frozen=True)
class Optimisation:
    """How long and on what batches a stage trains (AdamW, cosine learning rate); the defaults are
    `deepcams train`'s, for quick runs."""

    epochs: int = 20
    steps: int = 50  # optimiser steps per epoch
    batch: int = 16
    patch: int = 32  # coarse cells per patch side
    lr: float = 2e-3
    rmse_weight: float = 0.0  # share of relative RMSE in the training loss (deepcams.models.training.loss)


@dataclass(frozen=True)
class Recipe:
    """Everything a training run of one stage is made of, apart from where it writes."""

    stage: str  # "tsr" or "ssr"
    architecture: str | None = None  # None: the stage's default (deepcams.models.registry, the shipped one)
    hyperparameters: Mapping[str, int] = field(default_factory=dict)
    optimisation: Optimisation = Optimisation()
    data: tuple[str, ...] = DATA
    synthetic_share: float = SYNTHETIC_SHARE
    synthetic_days: int = SYNTHETIC_DAYS
    synthetic_seed: int = SYNTHETIC_SEED
    seed: int = SEED

    def describe(self, split: Split) -> dict:
        """The training data and split as the checkpoints' metadata records them."""
        description = {"data": list(self.data), **split.describe()}
        if "synthetic" in self.data:
            mixed = len(set(self.data)) > 1
            description["synthetic_world"] = {
                "days": self.synthetic_days,
                "seed": self.synthetic_seed,
                "area": "whole globe" if mixed else "the bands above",
                "share_of_patches": self.synthetic_share if mixed else 1.0,
            }
        return description


# The shipped weights (deepcams/data/weights): shares and settings chosen by band cross-validation.
SHIPPED: Mapping[str, Recipe] = MappingProxyType(
    {
        "ssr": Recipe(
            "ssr",
            "ssr-abpn",
            # no covariates: with them (`"covariates": 3`) it scored slightly worse on band B (model card)
            {"channels": 16, "stages": 2},
            Optimisation(epochs=24, steps=100, batch=16, patch=32, lr=1e-3),
            data=("sample", "synthetic"),
            synthetic_share=SYNTHETIC_SHARE,
        ),
        "tsr": Recipe(
            "tsr",
            "tsr-flow",
            {"channels": 24, "flow_layers": 3, "refine_layers": 3},
            Optimisation(epochs=48, steps=150, batch=16, patch=32, lr=1e-3),  # 6, 24, 48 compared: model card
            data=(f"hourly:{EUROPE_SEQUENCE}",),
        ),
    }
)
# `deepcams train`'s and `TrainConfig`'s defaults: `Recipe(stage)` is `deepcams train stage`
DEFAULTS = Optimisation()

# The deep ensemble (`make ensemble`): the shipped recipe of both stages with other seeds (initialisation and
# batch order); member 0 is the shipped weights themselves, so the ensemble's member 0 is `deepcams`.
ENSEMBLE_SIZE = 5


def member_recipe(stage: str, member: int) -> Recipe:
    """The shipped recipe of `stage` for ensemble member `member` (0 .. ENSEMBLE_SIZE - 1): seed SEED + member."""
    if not 0 <= member < ENSEMBLE_SIZE:
        raise DeepcamsError(f"ensemble member {member} does not exist (0 .. {ENSEMBLE_SIZE - 1})")
    return replace(SHIPPED[stage], seed=SEED + member)
