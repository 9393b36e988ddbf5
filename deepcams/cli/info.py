"""`deepcams info`: what the readers see in a file."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from deepcams.cli._options import add_input_options, open_inputs
from deepcams.grids import grid_of


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "info", help="variable, units, grid, times and value range as the readers see them"
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE")
    add_input_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ds = open_inputs(args, args.inputs)
    pm25 = ds["pm25"]
    times = pd.DatetimeIndex(ds["time"].values)
    values = pm25.values
    finite = np.isfinite(values)
    step = f"{(times[1] - times[0]).total_seconds() / 3600:g} h" if len(times) > 1 else "single time"
    lon = ds["lon"].values
    print(f"source:    {ds.attrs.get('source', 'unknown')}")
    print(
        f"variable:  pm25 (canonical, {pm25.attrs['units']}), read from {ds.attrs.get('input_files', args.inputs)}"
    )
    print(f"grid:      {grid_of(ds).name}, {ds.sizes['lat']} x {ds.sizes['lon']}")
    print(f"lat:       {ds['lat'].values[0]:g} .. {ds['lat'].values[-1]:g}")
    print(f"lon:       {lon[0]:g} .. {lon[-1]:g}")
    print(f"time:      {times[0]} .. {times[-1]} ({len(times)} steps, {step})")
    if finite.any():
        print(f"values:    {values[finite].min():.4g} .. {values[finite].max():.4g} {pm25.attrs['units']}")
    print(f"missing:   {100 * (1 - finite.mean()):.1f}% NaN")
    for key in ("time_alignment", "time_note", "attribution"):
        if key in ds.attrs:
            print(f"{key + ':':11s}{ds.attrs[key]}")
    return 0
