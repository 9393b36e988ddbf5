"""Which CAMS frames the input files hold, and which frames each production day needs.

The index is built once on the client from the files' time axes (cheap: no data is read), so a missing or
unreadable file shows up as named missing frames of the days that need them, before any work starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from deepcams.errors import DeepcamsError
from deepcams.io import open_cams
from deepcams.io.readers import expand_paths

HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)


@dataclass
class InputIndex:
    """Input files by the frames they hold; `unreadable` maps a file to why it could not be opened."""

    frames: dict[pd.Timestamp, Path] = field(default_factory=dict)
    unreadable: dict[Path, str] = field(default_factory=dict)
    units: str | None = None

    @property
    def times(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(sorted(self.frames))

    @property
    def step(self) -> pd.Timedelta:
        """The input's time step: the most common spacing of its frames (3 h for CAMS EAC4)."""
        times = self.times
        if len(times) < 2:
            raise DeepcamsError("the input holds fewer than two time steps; production needs a time series")
        steps, counts = np.unique(np.diff(times.asi8), return_counts=True)
        step = pd.Timedelta(int(steps[np.argmax(counts)]), unit="ns")
        if step < HOUR or DAY % step != pd.Timedelta(0):
            raise DeepcamsError(f"input time step {step} does not divide a day into whole hours")
        return step

    def files(self, times: Iterable[pd.Timestamp]) -> list[Path]:
        """The files holding `times`, in order, each once."""
        return sorted({self.frames[t] for t in times})


def index_inputs(
    paths: str | os.PathLike | Iterable[str | os.PathLike], units: str | None = None
) -> InputIndex:
    """Open each input file's header with `deepcams.open_cams` and note the frames it holds."""
    index = InputIndex(units=units)
    for path in expand_paths(paths):
        try:
            ds = open_cams(path, units=units, chunks={})
        except DeepcamsError as exc:
            index.unreadable[path] = str(exc)
            continue
        for time in pd.DatetimeIndex(ds["time"].values):
            if time in index.frames and index.frames[time] != path:
                raise DeepcamsError(
                    f"{time} is in both {index.frames[time]} and {path}; give each frame once"
                )
            index.frames[time] = path
        ds.close()
    if not index.frames:
        bad = "; ".join(index.unreadable.values())
        raise DeepcamsError(f"no readable CAMS input ({bad})")
    return index


@dataclass(frozen=True)
class Day:
    """One production task: the hours of `date` the archive holds, at positions `first` .. `first+hours`."""

    date: pd.Timestamp
    first: int
    hours: int

    @property
    def label(self) -> str:
        return self.date.strftime("%Y-%m-%d")

    @property
    def times(self) -> pd.DatetimeIndex:
        return pd.date_range(self.date, periods=self.hours, freq="h")


def archive_times(index: InputIndex, start, end) -> pd.DatetimeIndex:
    """The archive's hourly axis: start 00 UTC to end 23 UTC.

    When the input simply ends within the last day (a download that stops at 21 UTC, say) the axis ends at
    the last input frame: hours after it cannot be interpolated, and are not invented.
    """
    first_day = pd.Timestamp(start).normalize()
    last_day = pd.Timestamp(end).normalize()
    if first_day > last_day:
        raise DeepcamsError(f"start {first_day.date()} is after end {last_day.date()}")
    times = index.times
    if times[0] > first_day or times[-1] < first_day:
        raise DeepcamsError(
            f"the input ({times[0]} .. {times[-1]}) does not hold {first_day} (00 UTC of the start day)"
        )
    last = last_day + DAY - HOUR
    if not index.unreadable and last_day <= times[-1] < last_day + DAY:
        last = times[-1]
    return pd.date_range(first_day, last, freq="h")


def plan_days(times: pd.DatetimeIndex) -> list[Day]:
    """One task per calendar day of the archive axis."""
    days = []
    for date, positions in pd.Series(np.arange(len(times)), index=times).groupby(times.normalize()):
        days.append(Day(pd.Timestamp(date), int(positions.iloc[0]), len(positions)))
    return days


def frames_needed(
    day: Day, index: InputIndex, context: int = 0
) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """(needed, missing): the input frames that span the day's hours, plus `context` steps each side.

    A day's last interval ends at the next day's 00 UTC frame; context frames are used where the input has
    them (so the day's result does not depend on how the range was cut, as long as the input is the same).
    """
    step = index.step
    begin = day.date
    end = day.times[-1]
    end = begin + step * int(np.ceil((end - begin) / step))
    needed = list(pd.date_range(begin, end, freq=step))
    missing = [t for t in needed if t not in index.frames]
    before = [begin - step * k for k in range(context, 0, -1)]
    after = [end + step * k for k in range(1, context + 1)]
    extra = [t for t in before + after if t in index.frames]
    return sorted(needed + extra), missing
