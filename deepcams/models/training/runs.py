"""A recipe's run: its data opened by name, cut by the split, trained, and the weights exported.

`make weights` and the band cross-validation run recipes this way; `deepcams train` builds the same
`TrainConfig` from its options.
"""

from __future__ import annotations

from pathlib import Path

from deepcams.models.training.data import split_fields
from deepcams.models.training.loop import TrainConfig, train
from deepcams.recipes import SHIPPED_SPLIT, Recipe, Split
from deepcams.sources import training_sets


def train_config(recipe: Recipe, out: str | Path, split: Split = SHIPPED_SPLIT, **run) -> TrainConfig:
    """The `TrainConfig` of a recipe; `run` holds how to run it (device, resume, progress, export)."""
    settings = recipe.optimisation
    return TrainConfig(
        stage=recipe.stage,
        out=Path(out),
        epochs=settings.epochs,
        steps=settings.steps,
        batch=settings.batch,
        patch=settings.patch,
        lr=settings.lr,
        rmse_weight=settings.rmse_weight,
        seed=recipe.seed,
        architecture=recipe.architecture,
        model_config=dict(recipe.hyperparameters),
        description=recipe.describe(split),
        **run,
    )


def train_recipe(recipe: Recipe, out: str | Path, split: Split = SHIPPED_SPLIT, **run) -> dict:
    """Train a recipe on its data, cut by `split`, into the run folder `out`; returns the final metadata.

    `run`: TrainConfig's device, resume, progress and export (e.g. `resume=True` continues a stopped run).
    """
    sets = training_sets(recipe.data, synthetic_days=recipe.synthetic_days, seed=recipe.synthetic_seed)
    train_fields, val_fields = split_fields(sets, recipe.stage, split, recipe.synthetic_share)
    return train(train_config(recipe, out, split, **run), train_fields, val_fields)
