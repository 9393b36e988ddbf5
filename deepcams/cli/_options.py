"""Options shared by subcommands: how to read inputs, and the common argument types."""

from __future__ import annotations

import argparse

import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import BBox
from deepcams.io import open_any


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

    def error(self, message: str):
        self.exit(2, f"error: {message}\n")


def bbox(text: str) -> BBox:
    """argparse type for W,S,E,N, keeping the library's explanation of what is wrong."""
    try:
        return BBox.parse(text)
    except DeepcamsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def timestamp(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {text!r}") from None


def open_inputs(args: argparse.Namespace, paths: list[str]) -> xr.Dataset:
    """Open the input files canonically, honouring --units, --year and --times."""
    if getattr(args, "times", None):
        from deepcams.io import open_mat

        times = [timestamp(t) for t in args.times.split(",")]
        return open_mat(paths, times=times, units=args.units)
    return open_any(paths, units=args.units, year=args.year)
