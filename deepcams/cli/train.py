"""`deepcams train tsr|ssr`: train a stage from GEOS-CF-like hourly data, split by longitude band."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from deepcams.errors import DeepcamsError


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
    from deepcams.models.training import TRAIN_BANDS, VAL_BAND

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
        default=["sample"],
        metavar="SOURCE",
        help="'sample' (the packaged real GEOS-CF frames; for tsr also the real CAMS frames), "
        "'synthetic' (deepcams.synthetic world), or GEOS-CF NetCDF files (globs allowed)",
    )
    parser.add_argument("--out", required=True, help="run folder (checkpoints and log.csv)")
    parser.add_argument("--export", help="also copy the final weights (and their .json) to this path")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=50, help="optimiser steps per epoch")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=32, help="patch side in CAMS cells")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
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
        help=f"training longitude band (repeatable; default {' and '.join(f'{w:g},{e:g}' for w, e in TRAIN_BANDS)})",
    )
    parser.add_argument(
        "--val-band",
        type=band,
        default=VAL_BAND,
        metavar="W,E",
        help=f"validation longitude band (default {VAL_BAND[0]:g},{VAL_BAND[1]:g})",
    )
    parser.add_argument("--synthetic-days", type=int, default=4, help="days of synthetic world to draw")
    parser.add_argument(
        "--synthetic-share",
        type=share,
        default=0.2,
        metavar="F",
        help="with real and synthetic data, the share of training patches from the synthetic world "
        "(default 0.2, the shipped S-SR's; docs/model-card.md)",
    )
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.safetensors")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    def arcs(band):
        west, width = band[0] % 360, (band[1] - band[0]) % 360
        return [(west, min(west + width, 360))] + ([(0, west + width - 360)] if west + width > 360 else [])

    return any(lo1 < hi2 and lo2 < hi1 for lo1, hi1 in arcs(a) for lo2, hi2 in arcs(b))


def load_sources(args: argparse.Namespace, train_bands, val_band):
    """Training fields from every --data source and validation fields from the real ones.

    Real sources are cut into the training and validation bands. The synthetic world holds no real
    data, so next to real sources it trains on the whole globe (its own Europe, Africa and East Asia
    too) and yields --synthetic-share of the patches; alone, it is split by band like real data.
    """
    from deepcams.io import open_geoscf, open_sample_cams, open_sample_geoscf
    from deepcams.models.training import band_fields, coarse_band_fields, mix_by_share

    real_train, real_val, synthetic = [], [], None
    for source in args.data:
        if source == "synthetic":
            try:
                from deepcams.synthetic import make_world
            except ImportError:
                raise DeepcamsError("the synthetic world is not available in this installation") from None
            synthetic = make_world(days=args.synthetic_days, seed=args.seed)[1]
            continue
        if source == "sample":
            ds, name = open_sample_geoscf(), "real GEOS-CF sample"
            if args.stage == "tsr":  # real CAMS motion (3-hourly) helps the temporal stage; truth bands only
                real_train += coarse_band_fields(open_sample_cams(), train_bands, "real CAMS sample")
        else:
            ds, name = open_geoscf(source).load(), Path(source).name
        real_train += band_fields(ds, train_bands, name)
        real_val += band_fields(ds, [val_band], name)
    if synthetic is None:
        return real_train, real_val
    if not real_train:
        name = "synthetic world"
        return band_fields(synthetic, train_bands, name), band_fields(synthetic, [val_band], name)
    whole = band_fields(synthetic, [(-180.0, 180.0)], "synthetic world")
    share = args.synthetic_share
    return mix_by_share([(real_train, 1.0 - share), (whole, share)]), real_val


def run(args: argparse.Namespace) -> int:
    from deepcams.models.training import TRAIN_BANDS, TrainConfig, describe_split, train

    train_bands = args.train_bands or list(TRAIN_BANDS)
    if any(_overlap(b, args.val_band) for b in train_bands):
        raise DeepcamsError("a training band overlaps the validation band; they must be disjoint")
    train_fields, val_fields = load_sources(args, train_bands, args.val_band)
    description = {"data": list(args.data), **describe_split(train_bands, args.val_band)}
    if "synthetic" in args.data:
        mixed = len(set(args.data)) > 1
        description["synthetic_world"] = {
            "days": args.synthetic_days,
            "seed": args.seed,
            "area": "whole globe" if mixed else "the bands above",
            "share_of_patches": args.synthetic_share if mixed else 1.0,
        }
    config = TrainConfig(
        stage=args.stage,
        out=Path(args.out),
        epochs=args.epochs,
        steps=args.steps,
        batch=args.batch,
        patch=args.patch,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        architecture=args.architecture,
        model_config={**({"channels": args.channels} if args.channels else {}), **dict(args.hyper)},
        resume=args.resume,
        progress=not args.quiet,
        description=description,
    )
    meta = train(config, train_fields, val_fields)
    final = Path(args.out) / "model.safetensors"
    if args.export:
        export = Path(args.export)
        export.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(final, export)
        shutil.copyfile(final.with_suffix(".json"), export.with_suffix(".json"))
    if not args.quiet:
        scores = meta["validation"]["scores"]
        print(f"wrote {final}" + (f" and {args.export}" if args.export else ""))
        print("validation: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()))
    return 0
