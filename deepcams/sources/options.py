"""The app's options: where its data roots and station files come from (arguments, then environment)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from deepcams.errors import DeepcamsError

ENV_ROOTS = "DEEPCAMS_DATA"
ENV_STATIONS = "DEEPCAMS_STATIONS"


@dataclass(frozen=True)
class AppOptions:
    """Data roots (`catalog(roots)`) and OpenAQ station files (`stations(files)`), resolved and deduplicated."""

    roots: tuple[Path, ...] = ()
    stations: tuple[Path, ...] = ()


def parse_app_args(argv: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> AppOptions:
    """`--data DIR` and `--stations FILE` (both repeatable) after the os.pathsep lists in DEEPCAMS_DATA and
    DEEPCAMS_STATIONS. Other arguments are ignored: they belong to whoever serves the app."""
    parser = argparse.ArgumentParser(prog="app", add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--data", action="append", default=[], metavar="DIR")
    parser.add_argument("--stations", action="append", default=[], metavar="FILE")
    try:
        args, _ = parser.parse_known_args(list(argv))
    except argparse.ArgumentError as exc:
        raise DeepcamsError(f"app arguments: {exc}") from None
    environ = os.environ if environ is None else environ
    return AppOptions(
        roots=_paths(environ.get(ENV_ROOTS, ""), args.data),
        stations=_paths(environ.get(ENV_STATIONS, ""), args.stations),
    )


def _paths(listed: str, given: list[str]) -> tuple[Path, ...]:
    found = [p for p in listed.split(os.pathsep) if p.strip()] + given
    return tuple(dict.fromkeys(Path(p).expanduser().resolve() for p in found))
