"""`deepcams info`: what the readers see in a file."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from deepcams.cli.options import add_input_options, open_inputs, plural
from deepcams.grids import grid_of
from deepcams.io.readers import expand_paths


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "info", help="variable, units, grid, times and value range as the readers see them"
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE")
    add_input_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Files on one grid are described together (a time series split over files); on several, one by one."""
    files = expand_paths(args.inputs)
    if len(files) > 1 and not args.times:
        each = [open_inputs(args, [path]) for path in files]
        if len({grid_of(ds).name for ds in each}) > 1:
            for path, ds in zip(files, each, strict=True):
                print(f"== {path}")
                describe(ds, [path])
            return 0
    describe(open_inputs(args, args.inputs), files)
    return 0


def describe(ds, files) -> None:
    pm25 = ds["pm25"]
    times = pd.DatetimeIndex(ds["time"].values)
    values = pm25.values
    finite = np.isfinite(values)
    step = f"{(times[1] - times[0]).total_seconds() / 3600:g} h" if len(times) > 1 else "single time"
    lon = ds["lon"].values
    print(f"source:    {ds.attrs.get('source', 'unknown')}")
    print(f"variable:  pm25 (canonical, {pm25.attrs['units']}), read from {', '.join(p.name for p in files)}")
    if "method" in ds.attrs:  # a deepcams product: what it was made from, not what it was read from
        print(f"made by:   {ds.attrs['method']} from {ds.attrs.get('input_files', 'unknown input')}")
    print(f"grid:      {grid_of(ds).name}, {ds.sizes['lat']} x {ds.sizes['lon']}")
    print(f"lat:       {ds['lat'].values[0]:g} .. {ds['lat'].values[-1]:g}")
    print(f"lon:       {lon[0]:g} .. {lon[-1]:g}")
    print(f"time:      {times[0]} .. {times[-1]} ({plural(len(times), 'step')}, {step})")
    if finite.any():
        print(f"values:    {values[finite].min():.4g} .. {values[finite].max():.4g} {pm25.attrs['units']}")
    print(f"missing:   {100 * (1 - finite.mean()):.1f}% NaN")
    if "pm25_spread" in ds:  # an ensemble product: pm25 is its mean
        quantiles = ", ".join(f"{q:.0%}" for q in ds["quantile"].values) if "quantile" in ds else "none"
        kept = "members kept" if "pm25_member" in ds else "members not kept"
        print(
            f"ensemble:  {ds.attrs.get('ensemble_size', '?')} members; pm25 is their mean, pm25_spread the spread "
            f"(calibrated: hypot({float(ds.attrs.get('spread_scale', 1.0)):.3g} x spread, "
            f"{float(ds.attrs.get('mean_scale', 0.0)):.3g} x mean)), quantiles {quantiles}; {kept}"
        )
    for key in ("time_alignment", "time_note", "attribution"):
        if key in ds.attrs:
            print(f"{key + ':':11s}{ds.attrs[key]}")
