"""`deepcams simulate`: the paper's simulation protocol, GEOS-CF -> CAMS-like input in CAMS conventions."""

from __future__ import annotations

import argparse

from deepcams.cli.options import add_input_options, add_quiet, open_inputs, refuse_overwriting_inputs
from deepcams.grids import GEOSCF, require_grid
from deepcams.io.providers import to_cams_netcdf
from deepcams.pipeline import simulate


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "simulate", help="coarsen GEOS-CF to the CAMS grid every 3 h, written as CAMS EAC4 NetCDF"
    )
    parser.add_argument("inputs", nargs="+", metavar="GEOSCF_INPUT", help="GEOS-CF NetCDF or .mat files")
    parser.add_argument("-o", "--output", required=True, help="output NetCDF in CAMS EAC4 conventions")
    add_input_options(parser)
    add_quiet(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    refuse_overwriting_inputs(args.output, args.inputs)
    geoscf = open_inputs(args, args.inputs)
    require_grid(geoscf, GEOSCF, "input")
    cams_like = simulate(geoscf)
    to_cams_netcdf(cams_like, args.output)
    if not args.quiet:
        print(f"wrote {args.output}: {cams_like.sizes['time']} CAMS-like frames")
    return 0
