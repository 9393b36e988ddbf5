"""`deepcams download cams|geoscf`: fetch the inputs from their providers (see docs/production.md)."""

from __future__ import annotations

import argparse

from deepcams.cli._options import bbox, timestamp
from deepcams.download import download_cams, download_geoscf
from deepcams.download.geoscf import BASE_URL, COLLECTION

INCOMPLETE = 3  # as for produce: finished, with days missing (listed)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("download", help="download CAMS EAC4 (ADS, cdsapi) or GEOS-CF (NCCS portal)")
    sources = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
    cams = sources.add_parser(
        "cams", help="CAMS EAC4 PM2.5 from the ADS, one file per month (needs ADS credentials)"
    )
    geoscf = sources.add_parser(
        "geoscf", help="GEOS-CF hourly PM2.5 over the NCCS HTTP portal, one file per day"
    )
    for source in (cams, geoscf):
        source.add_argument("--start", required=True, type=timestamp, help="first day (UTC)")
        source.add_argument("--end", required=True, type=timestamp, help="last day (UTC), included")
        source.add_argument("-o", "--output", required=True, metavar="DIR")
        source.add_argument("--bbox", type=bbox, help="W,S,E,N region (default: the globe)")
    geoscf.add_argument("--collection", default=COLLECTION, help=f"portal collection (default {COLLECTION})")
    geoscf.add_argument("--base-url", default=BASE_URL, help="portal root of the collection's Y/M/D folders")
    cams.set_defaults(run=run_cams)
    geoscf.set_defaults(run=run_geoscf)


def run_cams(args: argparse.Namespace) -> int:
    paths = download_cams(
        args.start, args.end, args.output, bbox=args.bbox, log=lambda s: print(s, flush=True)
    )
    print(f"{len(paths)} monthly files in {args.output}")
    return 0


def run_geoscf(args: argparse.Namespace) -> int:
    done, failed = download_geoscf(
        args.start,
        args.end,
        args.output,
        bbox=args.bbox,
        base_url=args.base_url,
        collection=args.collection,
        log=lambda s: print(s, flush=True),
    )
    print(f"{len(done)} daily files in {args.output}")
    if failed:
        print(f"incomplete: {len(failed)} days failed ({', '.join(sorted(failed))}); rerun to retry them")
        return INCOMPLETE
    return 0
