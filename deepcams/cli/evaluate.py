"""`deepcams evaluate`: the metrics table of a prediction against a truth."""

from __future__ import annotations

import argparse
import json

from deepcams.cli._options import bbox
from deepcams.io import open_any
from deepcams.metrics import evaluate, summarize


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evaluate", help="RMSE, MAE, bias, R, SSIM, PSNR of a prediction against a truth")
    parser.add_argument("prediction", metavar="PRED", help="deepcams output (NetCDF)")
    parser.add_argument(
        "truth", metavar="TRUTH", help="truth on the same grid (GEOS-CF NetCDF or deepcams NetCDF)"
    )
    parser.add_argument("--bbox", type=bbox, help="score only this region W,S,E,N")
    parser.add_argument(
        "--weighted", action="store_true", help="weight each pixel by the area of its grid cell"
    )
    parser.add_argument("--per-time", action="store_true", help="one row per time step as well")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a text table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    pred = open_any([args.prediction])
    truth = open_any([args.truth])
    total = summarize(pred, truth, bbox=args.bbox, weighted=args.weighted)
    per_time = evaluate(pred, truth, bbox=args.bbox, weighted=args.weighted) if args.per_time else None
    if args.json:
        report = {"overall": total}
        if per_time is not None:
            report["per_time"] = {str(t): row.to_dict() for t, row in per_time.iterrows()}
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'':20s}" + "".join(f" {name:>10s}" for name in total))
    print(f"{'overall':20s}" + "".join(f" {value:>10.4g}" for value in total.values()))
    if per_time is not None:
        for time, row in per_time.iterrows():
            print(f"{str(time):20s}" + "".join(f" {value:>10.4g}" for value in row.values))
    return 0
