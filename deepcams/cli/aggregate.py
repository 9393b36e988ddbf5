"""`deepcams aggregate`: exposure products (daily/monthly/annual means, WHO exceedances, diurnal cycle)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from deepcams.errors import DeepcamsError
from deepcams.exposure import aggregate, open_population, write_exposure
from deepcams.io import open_any, open_dataset


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "aggregate",
        help="exposure products of a product or archive: daily means, WHO exceedances, diurnal cycle",
        description="Daily (UTC or local days), monthly and annual means, days over the WHO 2021 24-hour "
        "guideline (15 ug m-3), the annual guideline (5), the diurnal cycle and peak hour, and "
        "population-weighted means, computed lazily with Dask (a `produce` Zarr archive stays on disk).",
    )
    parser.add_argument(
        "product", metavar="PRODUCT", help="deepcams NetCDF (glob) or a `produce` Zarr archive"
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help=".nc (CF NetCDF), .zarr, .csv (--points) or .tif"
    )
    parser.add_argument(
        "--timezone", default="UTC", help="IANA time zone of the days and hours (default UTC)"
    )
    parser.add_argument("--population", metavar="FILE", help="population grid (NetCDF, one lat/lon variable)")
    parser.add_argument("--points", metavar="CSV", help="points (name,lat,lon) for CSV output")
    parser.add_argument(
        "--min-coverage", type=float, default=0.75, help="share of a day's hours a daily mean needs (0.75)"
    )
    parser.add_argument("--workers", type=int, help="run on a local Dask cluster of this many processes")
    parser.set_defaults(run=run)


def _points(path: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DeepcamsError(f"cannot read points {path}: {str(exc).splitlines()[0]}") from None
    if not {"name", "lat", "lon"} <= set(table.columns):
        raise DeepcamsError(f"{path}: points need the columns name, lat, lon")
    return table


def run(args: argparse.Namespace) -> int:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(args.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DeepcamsError(
            f"unknown time zone {args.timezone!r} (use an IANA name like Europe/Rome)"
        ) from None
    if not 0 < args.min_coverage <= 1:
        raise DeepcamsError("--min-coverage must lie in (0, 1]")
    if args.workers is not None and args.workers < 1:
        raise DeepcamsError("--workers must be at least 1")
    if Path(args.output).resolve() == Path(args.product).resolve():
        raise DeepcamsError("the output would replace the input; choose another -o")
    points = _points(args.points) if args.points else None
    ds = open_dataset(args.product, chunks={}) if Path(args.product).is_dir() else open_any(args.product)
    population = open_population(args.population) if args.population else None
    products = aggregate(ds, timezone=args.timezone, population=population, min_coverage=args.min_coverage)
    if args.workers:
        from distributed import Client, LocalCluster, progress

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=":0") as cluster:
            with Client(cluster):
                products = products.persist()
                progress(products)
                print()
                written = write_exposure(products, args.output, points)
    else:
        from dask.diagnostics import ProgressBar

        with ProgressBar(minimum=2):
            written = write_exposure(products, args.output, points)
    for path in written:
        print(f"wrote {path}")
    return 0
