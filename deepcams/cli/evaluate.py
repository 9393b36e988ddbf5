"""`deepcams evaluate`: the metrics table of a prediction against a truth."""

from __future__ import annotations

import argparse
import json

from deepcams.cli.options import bbox, require_same_grid
from deepcams.io import open_any, to_netcdf
from deepcams.metrics import (
    MEMBERS,
    SPREAD,
    evaluate,
    member_scores,
    power_spectrum,
    probabilistic_scores,
    skill_maps,
    summarize,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evaluate",
        help="RMSE, MAE, bias, R, SSIM, PSNR (and an ensemble's CRPS, spread-skill, rank histogram)",
    )
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
    parser.add_argument(
        "--maps",
        metavar="NC",
        help="also write per-pixel bias, RMSE and R over time and the power spectra of both (NetCDF)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    pred = open_any([args.prediction])
    truth = open_any([args.truth])
    require_same_grid({args.prediction: pred, args.truth: truth})
    total = summarize(pred, truth, bbox=args.bbox, weighted=args.weighted)
    if SPREAD in pred:  # an ensemble product (`downscale --ensemble N`)
        total.update(probabilistic_scores(pred, truth, bbox=args.bbox, weighted=args.weighted))
    members = member_scores(pred, truth, bbox=args.bbox) if MEMBERS in pred else None
    per_time = evaluate(pred, truth, bbox=args.bbox, weighted=args.weighted) if args.per_time else None
    if args.maps:
        write_maps(pred, truth, args)
    if args.json:
        report = {"overall": total}
        if members is not None:
            report["members"] = members
        if per_time is not None:
            report["per_time"] = {str(t): counted(row.to_dict()) for t, row in per_time.iterrows()}
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'':20s}" + "".join(f" {name:>10s}" for name in total))
    print(f"{'overall':20s}" + cells(total))
    if members is not None:
        print(
            f"members: CRPS {members['crps_members']:.4g}, spread-skill {members['spread_skill_members']:.3g}, "
            f"rank histogram {' '.join(map(str, members['rank_histogram']))} (n {members['n']})"
        )
    if per_time is not None:
        for time, row in per_time.iterrows():
            print(f"{str(time):20s}" + cells(row.to_dict()))
    return 0


def counted(scores: dict) -> dict:
    """Scores with the pixel count `n` as the integer it is (a table row holds it as a float)."""
    return {name: int(value) if name == "n" else value for name, value in scores.items()}


def cells(scores: dict) -> str:
    return "".join(
        f" {value:>10d}" if isinstance(value, int) else f" {value:>10.4g}"
        for value in counted(scores).values()
    )


def write_maps(pred, truth, args: argparse.Namespace) -> None:
    """Skill maps and the spectra of prediction and truth into one NetCDF; their summary on stderr."""
    import sys

    maps = skill_maps(pred, truth, bbox=args.bbox)
    maps["spectrum_prediction"] = power_spectrum(pred, bbox=args.bbox)
    maps["spectrum_truth"] = power_spectrum(truth, bbox=args.bbox)
    to_netcdf(maps, args.maps)
    ratio = maps["spectrum_prediction"] / maps["spectrum_truth"]
    fine = ratio.isel(wavenumber=slice(ratio.sizes["wavenumber"] // 2, None)).mean()
    print(
        f"wrote {args.maps}: area-weighted bias {maps.attrs['mean_bias']:.4g}, RMSE {maps.attrs['mean_rmse']:.4g}, "
        f"R {maps.attrs['mean_r']:.4g}; fine-scale power prediction/truth {float(fine):.3g}",
        file=sys.stderr,
    )
