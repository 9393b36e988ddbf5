"""Band cross-validation of a training recipe on the real sample (docs/model-card.md).

The real GEOS-CF sample has three visible longitude bands (`deepcams.recipes.FOLDS`); each fold trains on
two and validates on the third, with the shipped recipe's architecture and optimisation settings
(`deepcams.recipes.SHIPPED`, or another architecture) and the given shares of synthetic-world patches.
Runs go to runs/cv-<architecture>-<hyperparameters>-e<epochs>x<steps>-s<share>-<fold> and resume, or are
skipped when done. The table gives, per fold, the last epoch's validation MAE and RMSE of the model
(S-SR: with mass conservation) over the baseline's (S-SR: bicubic; T-SR: linear). The shipped weights
are the shipped fold's setting (`deepcams.recipes.SHIPPED_FOLD`, validation band lon [-60, 0)).

    python scripts/cross_validate.py ssr --shares 0 0.2 0.5 --architecture ssr-pixel-attention
    python scripts/cross_validate.py ssr --shares 0.2 --folds B
    python scripts/cross_validate.py tsr --shares 0 0.25
    python scripts/cross_validate.py ssr --shares 0.2 --folds B --covariates 0
    python scripts/cross_validate.py ssr --shares 0.2 --folds B --rmse-weight 1
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pandas as pd

from deepcams.errors import DeepcamsError
from deepcams.models import build_model
from deepcams.models.training import FOLDS, SHIPPED, Recipe, fold_split, train_recipe


def fold_recipe(
    stage: str,
    share: float,
    architecture: str | None,
    epochs: int | None,
    steps: int | None,
    covariates: int | None = None,
    rmse_weight: float | None = None,
) -> Recipe:
    """The shipped recipe with another synthetic share, and the architecture, run length, number of
    S-SR covariates (0: none) or the loss's RMSE weight changed if asked."""
    shipped = SHIPPED[stage]
    length = {
        k: v for k, v in (("epochs", epochs), ("steps", steps), ("rmse_weight", rmse_weight)) if v is not None
    }
    recipe = replace(
        shipped,
        optimisation=replace(shipped.optimisation, **length),
        data=("sample", "synthetic") if share else ("sample",),
        synthetic_share=share,
    )
    if architecture:  # with its default hyperparameters, written out so run folders name them
        recipe = replace(
            recipe, architecture=architecture, hyperparameters=dict(build_model(architecture).config)
        )
    if covariates is not None:
        hyperparameters = {k: v for k, v in recipe.hyperparameters.items() if k != "covariates"}
        if covariates:
            hyperparameters["covariates"] = covariates
        recipe = replace(recipe, hyperparameters=hyperparameters)
    return recipe


def run_fold(recipe: Recipe, fold: str) -> Path:
    settings = recipe.optimisation
    name = "-".join([recipe.architecture, *(f"{k}{v}" for k, v in recipe.hyperparameters.items())])
    loss = f"-rmse{settings.rmse_weight:g}" if settings.rmse_weight else ""
    out = Path(f"runs/cv-{name}-e{settings.epochs}x{settings.steps}{loss}-s{recipe.synthetic_share:g}-{fold}")
    if (out / "model.safetensors").is_file():
        return out
    print(f"training {out}: {recipe}", flush=True)
    try:
        train_recipe(recipe, out, fold_split(fold), resume=True, progress=False)
    except DeepcamsError as exc:
        raise SystemExit(f"training failed: {out}: {exc}") from None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=list(SHIPPED))
    parser.add_argument("--shares", nargs="+", type=float, default=[0.0])
    parser.add_argument("--folds", nargs="+", default=list(FOLDS), choices=list(FOLDS))
    parser.add_argument("--epochs", type=int, help="instead of the shipped recipe's")
    parser.add_argument(
        "--steps", type=int, help="optimiser steps per epoch, instead of the shipped recipe's"
    )
    parser.add_argument(
        "--architecture", help="another architecture (its default hyperparameters) than the shipped one"
    )
    parser.add_argument(
        "--covariates",
        type=int,
        help="the S-SR's number of covariates (deepcams.covariates.COVARIATES, in order; 0: none) instead "
        "of the shipped recipe's",
    )
    parser.add_argument(
        "--rmse-weight",
        type=float,
        help="add this share of the relative RMSE to the training loss (the shipped recipe: 0)",
    )
    args = parser.parse_args()
    scored = "model_conserved" if args.stage == "ssr" else "model"
    baseline = "bicubic" if args.stage == "ssr" else "linear"
    rows = []
    for share in args.shares:
        recipe = fold_recipe(
            args.stage, share, args.architecture, args.epochs, args.steps, args.covariates, args.rmse_weight
        )
        for fold in args.folds:
            last = pd.read_csv(run_fold(recipe, fold) / "log.csv").iloc[-1]
            west, east = FOLDS[fold]
            rows.append(
                {
                    "synthetic share": share,
                    "validation band": f"{fold}: lon {west:g}..{east:g}",
                    "mae": last[f"{scored}_mae"],
                    f"{baseline} mae": last[f"{baseline}_mae"],
                    "mae ratio": last[f"{scored}_mae"] / last[f"{baseline}_mae"],
                    "rmse ratio": last[f"{scored}_rmse"] / last[f"{baseline}_rmse"],
                }
            )
    table = pd.DataFrame(rows)
    print(table.round(4).to_string(index=False))
    means = table.groupby("synthetic share")[["mae ratio", "rmse ratio"]].mean().round(4)
    print("\nmean over the folds:\n")
    print(means.to_string())


if __name__ == "__main__":
    main()
