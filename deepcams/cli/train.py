"""`deepcams train tsr|ssr`: train a stage from GEOS-CF-like hourly data, split by longitude band."""

from __future__ import annotations

import argparse
from pathlib import Path

from deepcams.recipes import (
    DATA,
    DEFAULTS,
    SEED,
    SHIPPED_SPLIT,
    SYNTHETIC_DAYS,
    SYNTHETIC_SEED,
    SYNTHETIC_SHARE,
    Optimisation,
    Recipe,
    Split,
)


def band(text: str) -> tuple[float, float]:
    """argparse type for a longitude band W,E (W > E crosses the antimeridian; write --val-band=-60,0)."""
    try:
        west, east = (float(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a longitude band is W,E in degrees, got {text!r}") from None
    if not (-180 <= west <= 360 and -180 <= east <= 360) or west == east:
        raise argparse.ArgumentTypeError(f"bad longitude band {text!r}")
    return west, east


def share(text: str) -> float:
    """argparse type for a fraction in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share is a number from 0 to 1, got {text!r}")
    return value


def hyperparameter(text: str) -> tuple[str, int]:
    """argparse type for KEY=INT."""
    key, _, value = text.partition("=")
    if not key.isidentifier() or not value.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"a hyperparameter is KEY=INT, got {text!r}")
    return key, int(value)


def add_parser(sub: argparse._SubParsersAction) -> None:
    train_bands, val_band = SHIPPED_SPLIT.train_bands, SHIPPED_SPLIT.val_band
    parser = sub.add_parser(
        "train",
        help="train the temporal (tsr) or spatial (ssr) model",
        description="Train a DeepCAMS stage in the simulation protocol (coarsen + 3-hourly subsampling). "
        "Training and validation are split by longitude band; every epoch writes OUT/last.safetensors "
        "(resumable) and a row of OUT/log.csv with the model's and the baseline's validation scores.",
    )
    parser.add_argument("stage", choices=["tsr", "ssr"])
    parser.add_argument(
        "--data",
        nargs="+",
        default=list(DATA),
        metavar="SOURCE",
        help="'sample' (the packaged real GEOS-CF frames), 'synthetic' (deepcams.synthetic world), "
        "'hourly:FILE' (a model's hourly PM2.5 sequence on its own grid, for tsr: split in time), "
        "or GEOS-CF NetCDF files (globs allowed)",
    )
    parser.add_argument("--out", required=True, help="run folder (checkpoints and log.csv)")
    parser.add_argument("--export", help="also copy the final weights (and their .json) to this path")
    parser.add_argument("--epochs", type=int, default=DEFAULTS.epochs)
    parser.add_argument("--steps", type=int, default=DEFAULTS.steps, help="optimiser steps per epoch")
    parser.add_argument("--batch", type=int, default=DEFAULTS.batch)
    parser.add_argument("--patch", type=int, default=DEFAULTS.patch, help="patch side in CAMS cells")
    parser.add_argument("--lr", type=float, default=DEFAULTS.lr)
    parser.add_argument(
        "--rmse-weight",
        type=share,
        metavar="F",
        default=DEFAULTS.rmse_weight,
        help="add this share of the RMSE (relative to the batch mean) to the loss; it weighs the "
        "highest values more (default %(default)s, as the shipped weights)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--architecture",
        help="network architecture (default: the stage's; see deepcams.models.ARCHITECTURES)",
    )
    parser.add_argument("--channels", type=int, help="network width (default: the architecture's)")
    parser.add_argument(
        "--hyper",
        type=hyperparameter,
        action="append",
        default=[],
        metavar="KEY=INT",
        help="another architecture hyperparameter, e.g. blocks=3 (repeatable)",
    )
    parser.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    parser.add_argument(
        "--train-band",
        type=band,
        action="append",
        dest="train_bands",
        metavar="W,E",
        help=f"training longitude band (repeatable; default {' and '.join(f'{w:g},{e:g}' for w, e in train_bands)})",
    )
    parser.add_argument(
        "--val-band",
        type=band,
        default=val_band,
        metavar="W,E",
        help=f"validation longitude band (default {val_band[0]:g},{val_band[1]:g})",
    )
    parser.add_argument(
        "--synthetic-days", type=int, default=SYNTHETIC_DAYS, help="days of synthetic world to draw"
    )
    parser.add_argument(
        "--synthetic-seed",
        type=int,
        default=SYNTHETIC_SEED,
        help=f"seed of the synthetic world (default {SYNTHETIC_SEED}; the demo world is seed 0)",
    )
    parser.add_argument(
        "--synthetic-share",
        type=share,
        default=SYNTHETIC_SHARE,
        metavar="F",
        help="with real and synthetic data, the share of training patches from the synthetic world "
        f"(default {SYNTHETIC_SHARE:g}, the shipped S-SR's; docs/model-card.md)",
    )
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.safetensors")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from deepcams.models.training import train_recipe  # torch: only when training

    split = Split(args.train_bands or SHIPPED_SPLIT.train_bands, args.val_band)
    recipe = Recipe(
        stage=args.stage,
        architecture=args.architecture,
        hyperparameters={**({"channels": args.channels} if args.channels else {}), **dict(args.hyper)},
        optimisation=Optimisation(args.epochs, args.steps, args.batch, args.patch, args.lr, args.rmse_weight),
        data=tuple(args.data),
        synthetic_share=args.synthetic_share,
        synthetic_days=args.synthetic_days,
        synthetic_seed=args.synthetic_seed,
        seed=args.seed,
    )
    meta = train_recipe(
        recipe,
        args.out,
        split,
        device=args.device,
        resume=args.resume,
        progress=not args.quiet,
        export=args.export,
    )
    if not args.quiet:
        scores = meta["validation"]["scores"]
        print(
            f"wrote {Path(args.out) / 'model.safetensors'}" + (f" and {args.export}" if args.export else "")
        )
        print("validation: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()))
    return 0
