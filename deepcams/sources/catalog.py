"""The datasets the dashboard offers by key: the demo world, the real sample (real and simulation modes),
and one per folder of the user's data roots.

Each entry pairs a CAMS-grid input with an optional GEOS-CF truth. Entries are built once per process
(`catalog(roots)` is cached), so browser sessions share the data. The browser picks entries by key only:
paths never come from the page, and files whose real path leaves their root are not listed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, grid_of
from deepcams.io import open_any, open_cams, open_geoscf
from deepcams.pipeline import simulate
from deepcams.sources.sample import open_sample_cams, open_sample_geoscf
from deepcams.synthetic import open_demo

DATA_SUFFIXES = (".nc", ".nc4", ".netcdf", ".grib", ".grb", ".grib2")


@dataclass
class Source:
    """One dataset: a CAMS-grid input, an optional GEOS-CF truth, and what to say about them.

    `load` builds (input, truth) on first use and is kept; `problems` lists files that could not be read.
    """

    key: str
    label: str
    description: str
    load: Callable[[], tuple[xr.Dataset, xr.Dataset | None]]
    problems: list[str] = field(default_factory=list)
    region: str = "Europe"  # the preset shown first

    @cached_property
    def _data(self) -> tuple[xr.Dataset, xr.Dataset | None]:
        return self.load()

    @property
    def cams(self) -> xr.Dataset:
        return self._data[0]

    @property
    def truth(self) -> xr.Dataset | None:
        return self._data[1]

    @cached_property
    def has_nan(self) -> bool:
        """Inputs with held-back (NaN) areas are downscaled with `allow_nan`: the gaps stay gaps."""
        return bool(self.cams["pm25"].isnull().any())

    @property
    def times(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.cams["time"].values)

    def availability(self) -> str:
        """One line on what the dataset holds, shown next to the time range."""
        times = self.times
        step = f", every {int(np.diff(times.asi8)[0] / 3.6e12)} h" if len(times) > 1 else ""
        text = f"{len(times)} input times {times[0]:%Y-%m-%d %H:%M} .. {times[-1]:%Y-%m-%d %H:%M} UTC{step}"
        if self.truth is None:
            return text + "; no truth"
        truth = pd.DatetimeIndex(self.truth["time"].values)
        return text + f"; truth {len(truth)} hours {truth[0]:%Y-%m-%d %H:%M} .. {truth[-1]:%H:%M}"


def _sample_simulation() -> tuple[xr.Dataset, xr.Dataset]:
    truth = open_sample_geoscf()
    return simulate(truth), truth


def builtin_sources() -> list[Source]:
    """The demo world first (the default), then the real sample in its two modes."""
    return [
        Source(
            "demo",
            "Demo world (synthetic, 3 days, with truth)",
            "A synthetic PM2.5 world: CAMS-like 3-hourly 0.75 deg input and its GEOS-CF-like hourly 0.25 deg "
            "truth, 2024-03-01 to 2024-03-04 (deepcams.synthetic.open_demo; generated once, then cached).",
            open_demo,
        ),
        Source(
            "sample-simulation",
            "Real sample, simulation (GEOS-CF coarsened, truth shown)",
            "Four real GEOS-CF hours coarsened to the CAMS grid by the DeepCAMS simulation protocol "
            "(00 and 03 UTC kept); the hours in between are the truth. Three longitude bands are held "
            "back upstream (NaN). Nominal date. GEOS-CF: NASA GMAO.",
            _sample_simulation,
            region="South Asia",  # inside a band the upstream authors did not hold back
        ),
        Source(
            "sample-real",
            "Real sample, CAMS 2019-12-31 (no truth)",
            "Real CAMS EAC4 PM2.5, 2019-12-31 15 UTC to 2020-01-01 00 UTC: the Australian Black Summer "
            "fires. Generated using Copernicus Atmosphere Monitoring Service information 2019-2020.",
            lambda: (open_sample_cams(), None),
            region="SE Australia",
        ),
    ]


def inside(path: Path, root: Path) -> bool:
    """True when the real path (symlinks followed) of `path` lies under `root`."""
    return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))


def data_files(folder: Path, root: Path) -> list[Path]:
    """Data files directly in `folder` whose real path stays inside `root`."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in DATA_SUFFIXES
        and not p.name.startswith(".")
        and inside(p, root)
    )


def classify(files: Iterable[Path]) -> tuple[list[Path], list[Path], list[str]]:
    """Split files into CAMS-grid and GEOS-CF-grid files by content; unreadable ones become problems."""
    cams, geoscf, problems = [], [], []
    for path in files:
        try:
            grid = grid_of(open_any(path))
        except DeepcamsError as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        (cams if grid is CAMS else geoscf).append(path)
    return cams, geoscf, problems


def folder_source(folder: Path, root: Path) -> Source | None:
    """A dataset from the CAMS and GEOS-CF files of one folder (GEOS-CF alone: the simulation protocol)."""
    cams_files, geoscf_files, problems = classify(data_files(folder, root))
    if not cams_files and not geoscf_files:
        if not problems:
            return None
        return Source(f"user:{folder}", f"{folder.name} (unreadable)", "", _unreadable(problems), problems)

    def load() -> tuple[xr.Dataset, xr.Dataset | None]:
        truth = open_geoscf(geoscf_files).load() if geoscf_files else None
        cams = open_cams(cams_files) if cams_files else simulate(truth)
        return cams, truth

    mode = "CAMS input" if cams_files else "simulation from GEOS-CF"
    label = f"{folder.name} ({mode}{', with GEOS-CF truth' if cams_files and geoscf_files else ''})"
    description = f"{len(cams_files)} CAMS and {len(geoscf_files)} GEOS-CF files in {folder}"
    return Source(f"user:{folder}", label, description, load, problems)


def _unreadable(problems: list[str]) -> Callable[[], tuple[xr.Dataset, xr.Dataset | None]]:
    def load():
        raise DeepcamsError(f"no readable CAMS or GEOS-CF file: {problems[0]}")

    return load


def user_sources(roots: Iterable[Path]) -> list[Source]:
    """One dataset per root and per immediate subfolder that holds CAMS or GEOS-CF files."""
    sources = []
    for root in roots:
        if not root.is_dir():
            continue
        folders = [root, *sorted(p for p in root.iterdir() if p.is_dir() and inside(p, root))]
        sources += [s for s in (folder_source(f, root) for f in folders) if s is not None]
    return sources


@cache
def catalog(roots: tuple[Path, ...] = ()) -> dict[str, Source]:
    """All datasets by key, built once per process and set of roots."""
    return {s.key: s for s in [*builtin_sources(), *user_sources(roots)]}
