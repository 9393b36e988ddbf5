"""The `deepcams` command line. Each subcommand lives in its own module with `add_parser` and `run`."""

from __future__ import annotations

import argparse
import importlib
import sys

from deepcams._version import __version__
from deepcams.cli.options import ArgumentParser
from deepcams.errors import DeepcamsError

# subcommand modules under deepcams.cli, in the order `deepcams --help` lists them
COMMANDS = [
    "downscale",
    "simulate",
    "evaluate",
    "info",
    "app",
    "train",
    "produce",
    "verify",
    "validate",
    "aggregate",
    "download",
    "sample",
]


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="deepcams", description="Downscale CAMS PM2.5 to 0.25 deg hourly.")
    parser.add_argument("--version", action="version", version=f"deepcams {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"deepcams.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input ends with one `error: ...` line on stderr and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except DeepcamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # unwritable output, full disk: the user's environment, not a bug
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
