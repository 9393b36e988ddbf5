"""Band cross-validation of a training recipe on the real sample (docs/model-card.md).

The real GEOS-CF sample has three visible longitude bands; each fold trains on two and validates on the
third, with the optimisation settings of scripts/train_weights.py and the given shares of synthetic-world patches. Runs
go to runs/cv-<stage>-e<epochs>x<steps>-s<share>-<fold> and resume or are skipped when done; the table gives, per fold,
the last epoch's validation MAE and RMSE of the model (S-SR: with mass conservation) over the baseline's
(S-SR: bicubic; T-SR: linear). The shipped weights are fold B's setting (validation band lon [-60, 0)).

    python scripts/cross_validate.py ssr --shares 0 0.2 0.5
    python scripts/cross_validate.py tsr --shares 0 0.25
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from deepcams.cli import main as deepcams

sys.path.insert(0, str(Path(__file__).parent))
from train_weights import RECIPES  # noqa: E402

BANDS = {"A": (-180, -120), "B": (-60, 0), "C": (60, 120)}  # the sample's visible bands


def optimisation(stage: str, epochs: int | None, steps: int | None) -> list[str]:
    """The shipped recipe's optimisation settings, with the number of epochs or steps changed if asked."""
    settings = list(RECIPES[stage]["optimisation"])
    for flag, value in (("--epochs", epochs), ("--steps", steps)):
        if value is not None:
            settings[settings.index(flag) + 1] = str(value)
    return settings


def run_fold(stage: str, settings: list[str], share: float, fold: str) -> Path:
    length = f"e{settings[settings.index('--epochs') + 1]}x{settings[settings.index('--steps') + 1]}"
    out = Path(f"runs/cv-{stage}-{length}-s{share:g}-{fold}")
    if (out / "model.safetensors").is_file():
        return out
    data = ["--data", "sample"] + (["synthetic", "--synthetic-share", f"{share:g}"] if share else [])
    bands = [f"--train-band={w},{e}" for name, (w, e) in BANDS.items() if name != fold]
    west, east = BANDS[fold]
    args = ["train", stage, *data, *settings, *bands, f"--val-band={west},{east}"]
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
    args = parser.parse_args()
    settings = optimisation(args.stage, args.epochs, args.steps)
    model = "model_conserved" if args.stage == "ssr" else "model"
    baseline = "bicubic" if args.stage == "ssr" else "linear"
    rows = []
    for share in args.shares:
        for fold in args.folds:
            last = pd.read_csv(run_fold(args.stage, settings, share, fold) / "log.csv").iloc[-1]
            rows.append(
                {
                    "synthetic share": share,
                    "validation band": f"{fold}: lon {BANDS[fold][0]}..{BANDS[fold][1]}",
                    "mae": last[f"{model}_mae"],
                    f"{baseline} mae": last[f"{baseline}_mae"],
                    "mae ratio": last[f"{model}_mae"] / last[f"{baseline}_mae"],
                    "rmse ratio": last[f"{model}_rmse"] / last[f"{baseline}_rmse"],
                }
            )
    table = pd.DataFrame(rows)
    print(table.round(4).to_string(index=False))
    means = table.groupby("synthetic share")[["mae ratio", "rmse ratio"]].mean().round(4)
    print("\nmean over the folds:\n")
    print(means.to_string())


if __name__ == "__main__":
    main()
