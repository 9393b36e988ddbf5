"""`deepcams validate`: products (CAMS, baselines, DeepCAMS, archives) against OpenAQ station data."""

from __future__ import annotations

import argparse
from pathlib import Path

from deepcams.errors import DeepcamsError
from deepcams.io import open_any, open_dataset
from deepcams.validation import read_openaq, validate


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate",
        help="score products against OpenAQ stations (N, R, RMSE, bias)",
        description="Match OpenAQ stations (v2 measurements or v3 CSV export) to each product's grid, align "
        "the hours, and report N, R, RMSE, bias (product - station) and MAE per station and overall.",
    )
    parser.add_argument(
        "--stations", required=True, metavar="FILE", help="OpenAQ CSV export (v2 or v3 layout)"
    )
    parser.add_argument(
        "products",
        nargs="+",
        metavar="PRODUCT",
        help="NAME=PATH or PATH: CAMS/GEOS-CF/deepcams NetCDF (glob) or Zarr",
    )
    parser.add_argument("--interpolation", choices=["bilinear", "nearest"], default="bilinear")
    parser.add_argument("--format", choices=["text", "csv", "json"], default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table here instead of printing it")
    parser.set_defaults(run=run)


def open_product(text: str) -> tuple[str, object]:
    name, sep, path = text.partition("=")
    if not sep:
        name, path = Path(text).stem.replace("*", "") or text, text
    if Path(path).is_dir():
        return name, open_dataset(path)
    return name, open_any(path)


def run(args: argparse.Namespace) -> int:
    stations = read_openaq(args.stations)
    products = dict(open_product(text) for text in args.products)
    if len(products) != len(args.products):
        raise DeepcamsError("two products have the same name; name them NAME=PATH")
    result = validate(products, stations, args.interpolation)
    text = {"text": result.to_text, "csv": result.to_csv, "json": result.to_json}[args.format]()
    if args.output:
        Path(args.output).write_text(text if text.endswith("\n") else text + "\n")
        print(f"wrote {args.output} ({len(result.overall)} products, {len(result.per_station)} station rows)")
    else:
        print(text)
    return 0
