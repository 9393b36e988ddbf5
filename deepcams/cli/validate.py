"""`deepcams validate`: products (CAMS, baselines, DeepCAMS, archives) against station data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deepcams.errors import DeepcamsError
from deepcams.io import open_any, open_dataset
from deepcams.validation import WINDOWS, describe_quality, parse_columns, plot_target, read_stations, validate


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate",
        help="score products against stations (R, RMSE, NMB, FAC2, IOA, FAIRMODE MQI, ...)",
        description="Match stations (OpenAQ v1/v2/v3, EEA, or any CSV with --columns) to each product's grid, "
        "average the product as the stations are averaged (--window), and report N, R, RMSE, MAE, bias "
        "(product - station), NMB, NME, MFB, MFE, FAC2, IOA and the FAIRMODE MQI per station, per station "
        "class and overall. Rows failing quality control are dropped and counted on stderr.",
    )
    parser.add_argument("--stations", required=True, metavar="FILE", help="station CSV (layout recognised)")
    parser.add_argument(
        "--columns",
        type=parse_columns,
        metavar="MAP",
        help="column mapping of a plain CSV: time=COL,lat=COL,lon=COL,value=COL[,station=,name=,units=,class=]",
    )
    parser.add_argument(
        "products",
        nargs="+",
        metavar="PRODUCT",
        help="NAME=PATH or PATH: CAMS/GEOS-CF/deepcams NetCDF (glob) or Zarr",
    )
    parser.add_argument("--interpolation", choices=["bilinear", "nearest"], default="bilinear")
    parser.add_argument(
        "--window",
        choices=WINDOWS,
        default="hourly",
        help="average the product like the stations: hourly values, trailing 24-hour means (rolling24, for "
        "networks publishing 24-hour rolling means), or daily means of both (default hourly)",
    )
    parser.add_argument(
        "--timezone", default="UTC", help="IANA time zone of the days and diurnal hours (default UTC)"
    )
    parser.add_argument("--format", choices=["text", "csv", "json"], default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table here instead of printing it")
    parser.add_argument("--target", metavar="PNG", help="also draw the FAIRMODE target diagram here")
    parser.set_defaults(run=run)


def open_product(text: str) -> tuple[str, object]:
    name, sep, path = text.partition("=")
    if not sep:
        name, path = Path(text).stem.replace("*", "") or text, text
    if Path(path).is_dir():
        return name, open_dataset(path)
    return name, open_any(path)


def _timezone(name: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DeepcamsError(f"unknown time zone {name!r} (use an IANA name like Australia/Sydney)") from None
    return name


def run(args: argparse.Namespace) -> int:
    timezone = _timezone(args.timezone)
    stations = read_stations(args.stations, args.columns)
    rows = len(stations) + stations.attrs["dropped"]
    print(f"{args.stations}: {describe_quality(stations.attrs['quality'], rows)}", file=sys.stderr)
    products = dict(open_product(text) for text in args.products)
    if len(products) != len(args.products):
        raise DeepcamsError("two products have the same name; name them NAME=PATH")
    result = validate(products, stations, args.interpolation, window=args.window, timezone=timezone)
    text = {"text": result.to_text, "csv": result.to_csv, "json": result.to_json}[args.format]()
    if args.output:
        Path(args.output).write_text(text if text.endswith("\n") else text + "\n")
        print(f"wrote {args.output} ({len(result.overall)} products, {len(result.per_station)} station rows)")
    else:
        print(text)
    if args.target:
        plot_target(result).savefig(args.target, dpi=120)
        print(f"wrote {args.target}")
    return 0
