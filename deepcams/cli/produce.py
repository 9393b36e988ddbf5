"""`deepcams produce`: a multi-year archive, one Dask task a day, resumable (see docs/production.md)."""

from __future__ import annotations

import argparse

from deepcams.cli.options import (
    BBOX_HELP,
    add_method_options,
    at_least,
    bbox,
    files_extent,
    method_options,
    plural,
    scheduler_address,
    timestamp,
)
from deepcams.methods import DEFAULT_METHOD
from deepcams.production import produce
from deepcams.production.archive import DEFAULT_TILE, MIN_TILE

# exit code of a run that finished but left days without data (bad input days are listed above it)
INCOMPLETE = 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "produce",
        help="downscale many days on Dask into a resumable Zarr archive",
        description="Downscale CAMS files day by day on dask.distributed into a CF Zarr archive. Rerunning "
        "the same command resumes an interrupted run. Exit codes: 0 complete, 2 bad input, "
        f"{INCOMPLETE} finished with days missing (listed), 130 interrupted.",
    )
    parser.add_argument(
        "--cams", required=True, metavar="GLOB", help="CAMS EAC4 NetCDF files (quote the glob)"
    )
    parser.add_argument("--start", required=True, type=timestamp, help="first day (UTC)")
    parser.add_argument("--end", required=True, type=timestamp, help="last day (UTC), included")
    parser.add_argument("-o", "--output", required=True, metavar="ARCHIVE.zarr")
    parser.add_argument("--bbox", type=bbox, help=f"{BBOX_HELP}; default: the input's extent")
    parser.add_argument(
        "--method", default=DEFAULT_METHOD, help=f"downscaling method (default {DEFAULT_METHOD})"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        type=scheduler_address,
        help="a running Dask scheduler, e.g. tcp://host:8786",
    )
    where.add_argument(
        "--workers", type=at_least(1), help="worker processes of the local cluster (default: CPU cores)"
    )
    parser.add_argument("--units", help="units of the input variable when the files lack or misstate them")
    parser.add_argument(
        "--tile",
        type=at_least(MIN_TILE),
        default=DEFAULT_TILE,
        help=f"spatial chunk size in pixels (default {DEFAULT_TILE}, at least {MIN_TILE})",
    )
    add_method_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = produce(
        args.cams,
        args.output,
        args.start,
        args.end,
        bbox=args.bbox if args.bbox is not None else files_extent(args.cams, args.units),
        method=args.method,
        method_options=method_options(args),
        scheduler=args.scheduler,
        workers=args.workers,
        units=args.units,
        tile=args.tile,
        log=lambda line: print(line, flush=True),
    )
    if report.failed:
        for label, reason in sorted(report.failed.items()):
            print(f"incomplete: {label}: {reason}", flush=True)
        verb = "has" if len(report.failed) == 1 else "have"
        print(
            f"{len(report.failed)} of {plural(report.total, 'day')} {verb} no data; fix their input and rerun",
            flush=True,
        )
        return INCOMPLETE
    return 0
