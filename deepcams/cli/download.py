"""`deepcams download cams|geoscf|openaq`: fetch the inputs from their providers (see docs/production.md)."""

from __future__ import annotations

import argparse

from deepcams.cli.options import bbox, plural, timestamp
from deepcams.download import download_cams, download_geoscf, download_openaq
from deepcams.download.geoscf import BASE_URL, COLLECTION
from deepcams.download.openaq import API_URL, KEY_VARIABLE

INCOMPLETE = 3  # as for produce: finished, with days missing (listed)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "download", help="download CAMS EAC4 (ADS, cdsapi), GEOS-CF (NCCS portal) or OpenAQ stations (v3 API)"
    )
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
    openaq = sources.add_parser(
        "openaq", help=f"OpenAQ v3 hourly PM2.5 of the stations in a region, one CSV (key in ${KEY_VARIABLE})"
    )
    openaq.add_argument("--start", required=True, type=timestamp, help="first day (UTC)")
    openaq.add_argument("--end", required=True, type=timestamp, help="last day (UTC), included")
    openaq.add_argument("--bbox", required=True, type=bbox, help="W,S,E,N region")
    openaq.add_argument("-o", "--output", required=True, metavar="CSV")
    openaq.add_argument(
        "--sensors",
        choices=["all", "monitors", "low-cost"],
        default="all",
        help="reference-grade monitors, low-cost sensors, or both (default; the is_monitor column tells)",
    )
    openaq.add_argument("--api-url", default=API_URL, help=f"API root (default {API_URL})")
    cams.set_defaults(run=run_cams)
    geoscf.set_defaults(run=run_geoscf)
    openaq.set_defaults(run=run_openaq)


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
    print(f"{plural(len(done), 'daily file')} in {args.output}")
    if failed:
        print(
            f"incomplete: {plural(len(failed), 'day')} failed ({', '.join(sorted(failed))}); rerun to retry them"
        )
        return INCOMPLETE
    return 0


def run_openaq(args: argparse.Namespace) -> int:
    monitors = {"all": None, "monitors": True, "low-cost": False}[args.sensors]
    path = download_openaq(
        args.start,
        args.end,
        args.output,
        bbox=args.bbox,
        monitors=monitors,
        api_url=args.api_url,
        log=lambda s: print(s, flush=True),
    )
    print(f"wrote {path}")
    return 0
