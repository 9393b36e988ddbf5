"""`deepcams downscale`: CAMS input -> hourly 0.25 deg NetCDF."""

from __future__ import annotations

import argparse

import pandas as pd

from deepcams.cli.options import (
    BBOX_HELP,
    add_input_options,
    add_method_options,
    add_quiet,
    bbox,
    input_extent,
    method_options,
    open_inputs,
    refuse_overwriting_inputs,
    timestamp,
)
from deepcams.ensemble import QUANTILES, check_quantiles
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, require_grid
from deepcams.io import to_netcdf
from deepcams.methods import DEFAULT_METHOD, available_methods
from deepcams.pipeline import downscale, select_times
from deepcams.recipes import ENSEMBLE_SIZE


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("downscale", help="downscale CAMS PM2.5 to the GEOS-CF 0.25 deg hourly grid")
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="CAMS NetCDF, GRIB or .mat files (globs allowed)"
    )
    parser.add_argument("-o", "--output", required=True, help="output NetCDF file")
    parser.add_argument(
        "--method",
        default=DEFAULT_METHOD,
        help=f"one of: {', '.join(available_methods())} (default {DEFAULT_METHOD})",
    )
    parser.add_argument("--bbox", type=bbox, help=f"{BBOX_HELP}; default: the input's extent")
    parser.add_argument("--start", type=timestamp, help="first input time to use (ISO)")
    parser.add_argument("--end", type=timestamp, help="last input time to use (ISO)")
    parser.add_argument(
        "--allow-nan", action="store_true", help="let NaNs (and infinities) in the input spread to the output"
    )
    parser.add_argument(
        "--allow-implausible",
        action="store_true",
        help="accept values outside the magnitudes of PM2.5 (about 1e-3 .. 1e5 ug m-3; see README)",
    )
    group = parser.add_argument_group("ensemble (deepcams only)")
    group.add_argument(
        "--ensemble",
        type=ensemble_size,
        metavar="N",
        help=f"run N members of the DeepCAMS ensemble (2 .. {ENSEMBLE_SIZE}): mean, spread and quantiles",
    )
    group.add_argument(
        "--quantiles",
        type=probabilities,
        default=QUANTILES,
        help=f"comma-separated probabilities of the output's quantiles (default {','.join(map(str, QUANTILES))})",
    )
    group.add_argument("--members", action="store_true", help="also write each member's field")
    add_method_options(parser)
    add_input_options(parser)
    add_quiet(parser)
    parser.set_defaults(run=run)


def ensemble_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = 0
    if not 2 <= size <= ENSEMBLE_SIZE:
        raise argparse.ArgumentTypeError(f"ensemble size must be 2 .. {ENSEMBLE_SIZE} members, got {text!r}")
    return size


def probabilities(text: str) -> tuple[float, ...]:
    try:
        return check_quantiles(part for part in text.split(",") if part.strip())
    except DeepcamsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    refuse_overwriting_inputs(args.output, args.inputs)
    if args.ensemble is None and args.members:
        raise DeepcamsError("--members needs --ensemble N")
    cams = open_inputs(args, args.inputs)
    require_grid(cams, CAMS, "input", hint="GEOS-CF files go to `deepcams simulate`")
    selected = select_times(cams, args.start, args.end)
    require_dates_in_data(cams, args.start, args.end)
    if (
        selected.sizes["time"] == 1
        and args.start is not None
        and args.end is not None
        and args.start != args.end
    ):
        raise DeepcamsError(
            f"only one input time step between {args.start} and {args.end}; hourly output needs at least two"
        )
    try:
        result = downscale(
            selected,
            args.method,
            bbox=args.bbox if args.bbox is not None else input_extent(cams),
            allow_nan=args.allow_nan,
            allow_implausible=args.allow_implausible,
            progress=not args.quiet,
            **(
                {}
                if args.ensemble is None
                else {"ensemble": args.ensemble, "quantiles": args.quantiles, "members": args.members}
            ),
            **method_options(args),
        )
    except DeepcamsError as exc:  # the library names its keyword; here it is a flag
        text = str(exc).replace("pass allow_nan", "pass --allow-nan")
        raise DeepcamsError(text.replace("pass allow_implausible", "pass --allow-implausible")) from None
    to_netcdf(result, args.output)
    if not args.quiet:
        ensemble = f", {args.ensemble}-member ensemble" if args.ensemble else ""
        print(
            f"wrote {args.output}: {result.sizes['time']} hourly frames, {result.sizes['lat']} x {result.sizes['lon']}"
            + ensemble
        )
    return 0


def require_dates_in_data(cams, start, end) -> None:
    """--start or --end beyond the input is a mistake to report, not a range to clip silently."""
    times = pd.DatetimeIndex(cams["time"].values)
    for flag, when in (("--start", start), ("--end", end)):
        if when is not None and not times[0] <= when <= times[-1]:
            raise DeepcamsError(f"{flag} {when} is outside the data ({times[0]} .. {times[-1]})")
