"""`deepcams downscale`: CAMS input -> hourly 0.25 deg NetCDF."""

from __future__ import annotations

import argparse

from deepcams.cli._options import (
    add_input_options,
    add_method_options,
    add_quiet,
    bbox,
    method_options,
    open_inputs,
    timestamp,
)
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, require_grid
from deepcams.io import to_netcdf
from deepcams.methods import DEFAULT_METHOD, available_methods
from deepcams.pipeline import downscale, select_times


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("downscale", help="downscale CAMS PM2.5 to the GEOS-CF 0.25 deg hourly grid")
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="CAMS NetCDF, GRIB or .mat files (globs allowed)"
    )
    parser.add_argument("-o", "--output", required=True, help="output NetCDF file")
    parser.add_argument("--method", default=DEFAULT_METHOD, help=f"one of: {', '.join(available_methods())}")
    parser.add_argument(
        "--bbox", type=bbox, help="region W,S,E,N in degrees (W > E crosses the antimeridian)"
    )
    parser.add_argument("--start", type=timestamp, help="first input time to use (ISO)")
    parser.add_argument("--end", type=timestamp, help="last input time to use (ISO)")
    parser.add_argument("--allow-nan", action="store_true", help="let NaNs in the input spread to the output")
    add_method_options(parser)
    add_input_options(parser)
    add_quiet(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    cams = open_inputs(args, args.inputs)
    require_grid(cams, CAMS, "input", hint="GEOS-CF files go to `deepcams simulate`")
    selected = select_times(cams, args.start, args.end)
    if (
        selected.sizes["time"] == 1
        and args.start is not None
        and args.end is not None
        and args.start != args.end
    ):
        raise DeepcamsError(
            f"only one input time step between {args.start} and {args.end}; hourly output needs at least two"
        )
    result = downscale(
        selected,
        args.method,
        bbox=args.bbox,
        allow_nan=args.allow_nan,
        progress=not args.quiet,
        **method_options(args),
    )
    to_netcdf(result, args.output)
    if not args.quiet:
        print(
            f"wrote {args.output}: {result.sizes['time']} hourly frames, {result.sizes['lat']} x {result.sizes['lon']}"
        )
    return 0
