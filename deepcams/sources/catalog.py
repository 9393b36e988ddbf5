"""The datasets the dashboard offers by key: the demo world, the real sample (real and simulation modes),
and one per folder of the user's data roots.

Each entry pairs a CAMS-grid input with an optional GEOS-CF truth. Entries are built once per process
(`catalog(roots)` is cached), so browser sessions share the data. The browser picks entries by key only:
paths never come from the page, files whose real path leaves their root are not listed, and each file
is opened in a process of its own before the server opens it (`deepcams.io.probe.probe_file`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, grid_of
from deepcams.io import open_any, open_cams, open_geoscf
from deepcams.io.probe import probe_file
from deepcams.pipeline import simulate
from deepcams.sources.sample import open_sample_cams, open_sample_geoscf
from deepcams.synthetic import GENERATOR_VERSION, open_demo

# the dashboard's preset for the shipped weights' validation band (deepcams.dashboard.regions)
HELD_OUT = "Held-out band of the weights"

DATA_SUFFIXES = (".nc", ".nc4", ".netcdf", ".grib", ".grb", ".grib2")
PROBE_WORKERS = 4  # the files of a data root opened at once, each in a process of its own


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
    input_label: str = "CAMS input"
    truth_label: str = "GEOS-CF truth"
    # what the comparison measures: "coarsened truth" (downscaling skill) or a model with its own errors
    input_kind: str = "CAMS, a model with its own errors"
    # the shipped weights' training data this dataset comes from ("sample", "synthetic:SEED"), for in-sample
    # labels; None: data the weights never saw
    training_name: str | None = None
    # real stations that come with the dataset (table of `read_stations`) and what to say about them
    stations: Callable[[], pd.DataFrame] | None = None
    stations_note: str = ""

    @cached_property
    def _data(self) -> tuple[xr.Dataset, xr.Dataset | None]:
        return self.load()

    def open(self) -> None:
        """Load the data now (the demo world is generated on its first use)."""
        self._data  # noqa: B018  (the cached property does the work)

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
        return text + f"; truth {len(truth)} hours {truth[0]:%Y-%m-%d %H:%M} .. {truth[-1]:%Y-%m-%d %H:%M}"


def _sample_simulation() -> tuple[xr.Dataset, xr.Dataset]:
    truth = open_sample_geoscf()
    return simulate(truth), truth


def _demo(exact: bool) -> Callable[[], tuple[xr.Dataset, xr.Dataset]]:
    """The demo world, its attributes saying synthetic (the providers' readers name CAMS and GEOS-CF), so
    whatever is made from it says so too; `generator` carries the generator's note."""

    def load() -> tuple[xr.Dataset, xr.Dataset]:
        cams, truth = open_demo(exact=exact)
        note = {
            "generator": f"deepcams.synthetic generator {GENERATOR_VERSION}: open_demo(exact={exact}), seed 0, "
            f"3 days from 2024-03-01"
        }
        what = "coarsened synthetic truth" if exact else "a second synthetic model with its own errors"
        cams.attrs.update(note, source=f"synthetic input ({what}; deepcams.synthetic demo world)")
        truth.attrs.update(note, source="synthetic truth (deepcams.synthetic demo world)")
        return cams, truth

    return load


def _sample_stations() -> pd.DataFrame:
    from deepcams.validation import open_sample_stations

    return open_sample_stations()


def builtin_sources() -> list[Source]:
    """The real sample in its two modes, then the demo world in its two modes."""
    from deepcams.validation import SAMPLE_ATTRIBUTION

    return [
        Source(
            "sample-simulation",
            "Real sample, simulation (GEOS-CF coarsened, truth shown)",
            "Four real GEOS-CF hours coarsened to the CAMS grid (00 and 03 UTC kept); the hours between are "
            "the truth, so this measures downscaling. Three longitude bands are held back upstream (NaN). "
            "Nominal date. GEOS-CF: NASA GMAO.",
            _sample_simulation,
            region=HELD_OUT,
            input_label="coarsened GEOS-CF input",
            input_kind="coarsened truth",
            training_name="sample",
        ),
        Source(
            "sample-real",
            "Real sample, CAMS 2019-12-31 (no truth)",
            "Real CAMS EAC4 PM2.5, 2019-12-31 15 UTC to 2020-01-01 00 UTC: the Australian Black Summer "
            "fires, with the OpenAQ stations of south-eastern Australia. Generated using Copernicus "
            "Atmosphere Monitoring Service information 2019-2020.",
            lambda: (open_sample_cams(), None),
            region="SE Australia",
            stations=_sample_stations,
            stations_note=f"OpenAQ stations: 24-hour rolling means, not hourly values. {SAMPLE_ATTRIBUTION}",
        ),
        Source(
            "demo-simulation",
            "Demo world, simulation (synthetic input = coarsened synthetic truth)",
            "A synthetic PM2.5 world whose 3-hourly 0.75 deg input is its own hourly 0.25 deg truth "
            "coarsened: this measures downscaling. 2024-03-01 to 2024-03-04, generated once, then cached.",
            _demo(exact=True),
            input_label="synthetic input",
            truth_label="synthetic truth",
            input_kind="coarsened truth",
            training_name="synthetic:0",
        ),
        Source(
            "demo",
            "Demo world, with CAMS-like errors (synthetic)",
            "The same synthetic world, its input a second model with displaced and biased sources, as CAMS is "
            "against GEOS-CF: no downscaler can remove those errors. Generated once, then cached.",
            _demo(exact=False),
            input_label="synthetic input",
            truth_label="synthetic truth",
            input_kind="a second model with its own errors",
            training_name="synthetic:0",
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
    """Split files into CAMS-grid and GEOS-CF-grid files by content; unreadable ones become problems.

    Each file is opened in a process of its own first (`probe_file`): one whose content crashes the
    NetCDF or HDF5 library (a float16 variable, a corrupt header) is listed as unreadable, and the server
    that lists it lives on."""
    files = list(files)
    with ThreadPoolExecutor(max_workers=PROBE_WORKERS) as pool:
        reasons = list(pool.map(probe_file, files))
    cams, geoscf, problems = [], [], []
    for path, reason in zip(files, reasons, strict=True):
        if reason is not None:
            problems.append(f"{path.name}: {reason}")
            continue
        try:
            grid = grid_of(open_any(path))
        except DeepcamsError as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        (cams if grid is CAMS else geoscf).append(path)
    return cams, geoscf, problems


def folder_source(folder: Path, root: Path, key: str) -> Source | None:
    """A dataset from the CAMS and GEOS-CF files of one folder (GEOS-CF alone: the simulation protocol)."""
    cams_files, geoscf_files, problems = classify(data_files(folder, root))
    if not cams_files and not geoscf_files:
        if not problems:
            return None
        return Source(key, f"{folder.name} (unreadable)", "", _unreadable(problems), problems)

    def load() -> tuple[xr.Dataset, xr.Dataset | None]:
        truth = open_geoscf(geoscf_files).load() if geoscf_files else None
        cams = open_cams(cams_files) if cams_files else simulate(truth)
        return cams, truth

    mode = "CAMS input" if cams_files else "simulation from GEOS-CF"
    label = f"{folder.name} ({mode}{', with GEOS-CF truth' if cams_files and geoscf_files else ''})"
    where = Path(root.name, folder.relative_to(root)).as_posix()
    description = f"{len(cams_files)} CAMS and {len(geoscf_files)} GEOS-CF files in {where}"
    if cams_files:
        return Source(key, label, description, load, problems)
    return Source(
        key,
        label,
        description,
        load,
        problems,
        input_label="coarsened GEOS-CF input",
        input_kind="coarsened truth",
    )


def _unreadable(problems: list[str]) -> Callable[[], tuple[xr.Dataset, xr.Dataset | None]]:
    def load():
        raise DeepcamsError(f"no readable CAMS or GEOS-CF file: {problems[0]}")

    return load


def user_sources(roots: Iterable[Path]) -> list[Source]:
    """One dataset per root and per immediate subfolder that holds CAMS or GEOS-CF files.

    Keys name a folder by its root's position and its path in the root (`user:0` the first root,
    `user:0/case` a subfolder): the page never sees where the server keeps its files."""
    sources = []
    for index, root in enumerate(roots):
        if not root.is_dir():
            continue
        folders = [root, *sorted(p for p in root.iterdir() if p.is_dir() and inside(p, root))]
        for folder in folders:
            key = f"user:{index}" if folder == root else f"user:{index}/{folder.relative_to(root).as_posix()}"
            source = folder_source(folder, root, key)
            if source is not None:
                sources.append(source)
    return sources


@cache
def catalog(roots: tuple[Path, ...] = ()) -> dict[str, Source]:
    """All datasets by key, built once per process and set of roots."""
    return {s.key: s for s in [*builtin_sources(), *user_sources(roots)]}
