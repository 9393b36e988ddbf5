"""The configured OpenAQ station files, read once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from deepcams.errors import DeepcamsError
from deepcams.validation import read_openaq


@dataclass(frozen=True)
class Stations:
    """The stations of the configured OpenAQ files (`read_openaq` tables, concatenated), and the files that
    could not be read, one line each."""

    table: pd.DataFrame | None
    problems: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.table is None:
            return "none readable"
        return f"{self.table['station'].nunique()} stations, {len(self.table)} PM2.5 values"


@cache
def stations(files: tuple[Path, ...]) -> Stations | None:
    """The station files read once per process; None when no file is configured."""
    if not files:
        return None
    tables, problems = [], []
    for path in files:
        try:
            tables.append(read_openaq(path))
        except DeepcamsError as exc:
            problems.append(str(exc))
    return Stations(pd.concat(tables, ignore_index=True) if tables else None, tuple(problems))
