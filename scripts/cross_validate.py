"""Band cross-validation of a training recipe on the real sample (docs/model-card.md).

The real GEOS-CF sample has three visible longitude bands; each fold trains on two and validates on
the third, with the architecture and optimisation settings of scripts/train_weights.py (or another
architecture) and the given shares of synthetic-world patches. Runs go to
runs/cv-<architecture>-<hyperparameters>-e<epochs>x<steps>-s<share>-<fold> and resume, or are skipped
when done. The table gives, per fold, the last epoch's validation MAE and RMSE of the model (S-SR: with
mass conservation) over the baseline's (S-SR: bicubic; T-SR: linear). The shipped weights are fold B's
setting (validation band lon [-60, 0)).

    python scripts/cross_validate.py ssr --shares 0 0.2 0.5 --architecture ssr-pixel-attention
    python scripts/cross_validate.py ssr --shares 0.2 --folds B
    python scripts/cross_validate.py tsr --shares 0 0.25
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from deepcams.cli import main as deepcams
from deepcams.models import build_model

sys.path.insert(0, str(Path(__file__).parent))
from train_weights import RECIPES, model_options, optimisation_options  # noqa: E402

BANDS = {"A": (-180, -120), "B": (-60, 0), "C": (60, 120)}  # the sample's visible bands


def optimisation(stage: str, epochs: int | None, steps: int | None) -> dict:
    """The shipped recipe's optimisation settings, with the number of epochs or steps changed if asked."""
    settings = dict(RECIPES[stage]["optimisation"])
    settings.update({k: v for k, v in (("epochs", epochs), ("steps", steps)) if v is not None})
    return settings


def run_fold(stage: str, model: dict, settings: dict, share: float, fold: str) -> Path:
    length = f"e{settings['epochs']}x{settings['steps']}"
    name = "-".join([model["architecture"], *(f"{k}{v}" for k, v in model.items() if k != "architecture")])
    out = Path(f"runs/cv-{name}-{length}-s{share:g}-{fold}")
    if (out / "model.safetensors").is_file():
        return out
    data = ["--data", "sample"] + (["synthetic", "--synthetic-share", f"{share:g}"] if share else [])
    bands = [f"--train-band={w},{e}" for name, (w, e) in BANDS.items() if name != fold]
    west, east = BANDS[fold]
    args = [
        "train",
        stage,
        *model_options(model),
        *data,
        *optimisation_options(settings),
        *bands,
        f"--val-band={west},{east}",
    ]
    args += ["--out", str(out), "--seed", "0", "--resume", "--quiet"]
    print("deepcams " + " ".join(args), flush=True)
    if deepcams(args):
        raise SystemExit(f"training failed: {out}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["ssr", "tsr"])
    parser.add_argument("--shares", nargs="+", type=float, default=[0.0])
    parser.add_argument("--folds", nargs="+", default=list(BANDS), choices=list(BANDS))
    parser.add_argument("--epochs", type=int, help="instead of the shipped recipe's")
    parser.add_argument(
        "--steps", type=int, help="optimiser steps per epoch, instead of the shipped recipe's"
    )
    parser.add_argument(
        "--architecture", help="another architecture (its default hyperparameters) than the shipped one"
    )
    args = parser.parse_args()
    settings = optimisation(args.stage, args.epochs, args.steps)
    model = RECIPES[args.stage]["model"]
    if args.architecture:  # with its default hyperparameters, written out so run folders name them
        model = {"architecture": args.architecture, **build_model(args.architecture).config}
    scored = "model_conserved" if args.stage == "ssr" else "model"
    baseline = "bicubic" if args.stage == "ssr" else "linear"
    rows = []
    for share in args.shares:
        for fold in args.folds:
            last = pd.read_csv(run_fold(args.stage, model, settings, share, fold) / "log.csv").iloc[-1]
            rows.append(
                {
                    "synthetic share": share,
                    "validation band": f"{fold}: lon {BANDS[fold][0]}..{BANDS[fold][1]}",
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
