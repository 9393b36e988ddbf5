"""Options shared by subcommands: how to read inputs, and the common argument types."""

from __future__ import annotations

import argparse
import os
import re

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import BBox
from deepcams.io import open_any
from deepcams.io.readers import expand_paths

BBOX_HELP = (
    "region W,S,E,N in degrees (W > E crosses the antimeridian; --bbox=-20,0,10,30 or --bbox -20,0,10,30)"
)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--units", help="units of the input variable when the file lacks or misstates them")
    parser.add_argument("--year", type=int, help="year of DeepCAMS .mat files named MM_DD_HH.mat")
    parser.add_argument("--times", help="comma-separated ISO times of .mat files whose names carry none")


def add_method_options(parser: argparse.ArgumentParser) -> None:
    """Options of the learned methods (the dashboard offers the same); a baseline given one refuses it."""
    group = parser.add_argument_group("learned methods")
    group.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), help="where the networks run (default auto)"
    )
    group.add_argument("--tsr-weights", metavar="FILE", help="temporal-stage weights (.safetensors)")
    group.add_argument("--ssr-weights", metavar="FILE", help="spatial-stage weights (.safetensors)")
    group.add_argument(
        "--no-conserve",
        dest="conserve",
        action="store_false",
        default=None,
        help="do not rescale each 3 x 3 block to its CAMS cell mean",
    )


def method_options(args: argparse.Namespace) -> dict:
    """The learned-method options given on the command line (none given: the method's defaults)."""
    names = ("device", "tsr_weights", "ssr_weights", "conserve")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the project's error style: one `error: ...` line, exit code 2, no usage dump."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse takes "-20,0,10,30" for an option (it knows only plain negative numbers as values):
        # a comma-separated list of numbers is a value, so `--bbox -20,0,10,30` works as users write it
        self._negative_number_matcher = re.compile(r"^-\d*\.?\d+(,\s*-?\d*\.?\d+)*$")

    def error(self, message: str):
        if "expected one argument" in message and "--bbox" in message:
            message += " (write a box with a negative west as --bbox=-20,0,10,30)"
        self.exit(2, f"error: {message}\n")


def bbox(text: str) -> BBox:
    """argparse type for W,S,E,N, keeping the library's explanation of what is wrong."""
    try:
        return BBox.parse(text)
    except DeepcamsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def input_extent(ds: xr.Dataset) -> BBox | None:
    """The box a regional input covers (None for global input): the default region of a run, since a box
    beyond a regional input's edge cannot be downscaled."""
    lat = np.asarray(ds["lat"].values, dtype="float64")
    lon = np.asarray(ds["lon"].values, dtype="float64")
    if lat.size < 2 or lon.size < 2:
        return None  # the run itself says what is wrong with such an input
    full_circle = lon.size * float(np.median(np.diff(lon))) >= 360.0 - 1e-6
    if full_circle and lat.min() <= -90.0 + 1e-6 and lat.max() >= 90.0 - 1e-6:
        return None
    west, east = (-180.0, 180.0) if full_circle else (float(lon[0]), float(lon[-1]))
    return BBox(west, float(lat.min()), east, float(lat.max()))


def files_extent(paths: str, units: str | None = None) -> BBox | None:
    """`input_extent` of the first readable input file (None when none is: the run reports its input)."""
    from deepcams.io import open_cams

    try:
        files = expand_paths(paths)
    except DeepcamsError:
        return None
    for path in files:
        try:
            with open_cams(path, units=units, chunks={}) as first:
                return input_extent(first)
        except DeepcamsError:
            continue
    return None


def plural(count: int, noun: str) -> str:
    """'1 day', '3 days': counts as the CLI prints them."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def at_least(minimum: int):
    """argparse type for an integer of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def refuse_overwriting_inputs(output: str, inputs: list[str]) -> None:
    """An output that names one of the inputs would replace it: refuse before any work."""
    if not os.path.exists(output):
        return
    for path in expand_paths(inputs):
        if os.path.samefile(path, output):
            raise DeepcamsError(f"the output {output} is one of the inputs; write to another file")


def require_same_grid(fields: dict[str, xr.Dataset]) -> None:
    """Scores of fields on different grids would compare only the nodes they happen to share: refuse."""
    spacing = {name: _spacing(ds) for name, ds in fields.items()}
    (first, step), *others = spacing.items()
    for name, other in others:
        if not np.allclose(step, other, atol=1e-6):
            raise DeepcamsError(
                f"{first} is on a {step[0]:g} x {step[1]:g} deg grid, {name} on a {other[0]:g} x {other[1]:g} "
                "deg grid; compare products on one grid"
            )


def _spacing(ds: xr.Dataset) -> tuple[float, float]:
    return tuple(
        float(np.median(np.diff(ds[axis].values))) if ds.sizes.get(axis, 0) > 1 else float("nan")
        for axis in ("lat", "lon")
    )


def scheduler_address(text: str) -> str:
    """argparse type for a Dask scheduler address: [tcp|tls|ws|wss|ucx|inproc://]host[:port]."""
    if not re.fullmatch(r"((tcp|tls|ws|wss|ucx|inproc)://)?[\w.\-\[\]:]+", text):
        raise argparse.ArgumentTypeError(f"not a Dask scheduler address: {text!r} (e.g. tcp://host:8786)")
    return text


def timestamp(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {text!r}") from None


def open_inputs(args: argparse.Namespace, paths: list[str]) -> xr.Dataset:
    """Open the input files canonically, honouring --units, --year and --times."""
    if getattr(args, "times", None):
        from deepcams.io import open_mat

        try:
            times = [timestamp(t) for t in args.times.split(",")]
        except argparse.ArgumentTypeError as exc:
            raise DeepcamsError(f"--times: {exc}") from None
        return open_mat(paths, times=times, units=args.units)
    return open_any(paths, units=args.units, year=args.year)
