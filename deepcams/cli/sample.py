"""`deepcams sample demo`: write the synthetic world (CAMS-like input and GEOS-CF-like truth) to a folder."""

from __future__ import annotations

import argparse

from deepcams.cli.options import bbox as bbox_type


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sample", help="built-in data sets (the synthetic demo world)")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    demo = kinds.add_parser(
        "demo", help="write the synthetic world as DIR/cams.nc (CAMS EAC4) and DIR/geoscf.nc (GEOS-CF)"
    )
    demo.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for cams.nc and geoscf.nc")
    demo.add_argument("--days", type=int, default=3, help="days of hourly truth (default 3)")
    demo.add_argument(
        "--start", default="2024-03-01", help="first time, a 3-hourly UTC time (default 2024-03-01)"
    )
    demo.add_argument("--bbox", type=bbox_type, help="region W,S,E,N in degrees (default: the globe)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument(
        "--exact",
        action="store_true",
        help="CAMS-like input = coarsened truth (the paper's simulation protocol)",
    )
    demo.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from deepcams.synthetic import write_demo

    cams, geoscf = write_demo(
        args.output, days=args.days, start=args.start, bbox=args.bbox, seed=args.seed, exact=args.exact
    )
    if not args.quiet:
        print(f"wrote {cams} (CAMS-like, 3-hourly) and {geoscf} (GEOS-CF-like truth, hourly)")
    return 0
