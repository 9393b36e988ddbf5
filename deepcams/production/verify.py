"""`verify`: is a production archive complete, finite where its input had data, physical, and consistent?

Reads every day once: its hours must all be there with a completion record, its NaN count must be the one
its record states (zero unless the input had gaps), its bytes must hash to the record's checksum, its values
must lie in a physical range, and its record must name the archive's method, version and inputs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from deepcams.io.conventions import UNITS, VARIABLE
from deepcams.production import archive
from deepcams.production.inputs import plan_days

# ug m-3: no concentration is negative; the worst wildfire smoke reaches a few thousand
PHYSICAL_RANGE = (0.0, 1.0e5)


@dataclass
class VerifyReport:
    store: Path
    days: int = 0
    hours: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        head = f"{self.store}: {self.days} days, {self.hours} hours"
        if self.ok:
            return f"{head}: OK (every hour present, finite, in range, checksums and provenance consistent)"
        shown = "\n".join(f"  - {e}" for e in self.errors[:20])
        more = f"\n  ... and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        return f"{head}: {len(self.errors)} problem(s)\n{shown}{more}"


def verify_archive(
    path: str | os.PathLike, value_range: tuple[float, float] = PHYSICAL_RANGE
) -> VerifyReport:
    """Check an archive written by `deepcams.production.produce`; problems are listed, not raised."""
    ds = archive.open_archive(path)
    report = VerifyReport(store=Path(path))
    errors = report.errors
    _check_metadata(ds, errors)
    times = pd.DatetimeIndex(ds["time"].values)
    report.hours = len(times)
    if len(times) > 1 and not (np.diff(times.asi8) == 3_600_000_000_000).all():
        errors.append("the time axis is not hourly without gaps or repeats")
    if len(times) and times[0] != times[0].normalize():
        errors.append(f"the time axis starts at {times[0]}, not at 00 UTC")
    days = plan_days(times)
    report.days = len(days)
    records = archive.read_records(path)
    for label in sorted(set(records) - {d.label for d in days}):
        errors.append(f"{label}: completion record for a day outside the time axis")
    pm25 = ds[VARIABLE]
    low, high = value_range
    for day in days:
        record = records.get(day.label)
        if record is None:
            errors.append(f"{day.label}: not complete (no completion record); rerun produce to finish it")
            continue
        if record.get("hours") != day.hours or record.get("first_index") != day.first:
            errors.append(f"{day.label}: record says {record.get('hours')} hours, the axis has {day.hours}")
            continue
        values = pm25.isel(time=slice(day.first, day.first + day.hours)).values
        nans = int(np.isnan(values).sum())
        if nans != record.get("nan_values", 0):
            errors.append(
                f"{day.label}: {nans} NaN values where the input had data (record: {record.get('nan_values')})"
            )
        finite = values[np.isfinite(values)]
        if finite.size and (finite.min() < low or finite.max() > high):
            outside = int(((finite < low) | (finite > high)).sum())
            errors.append(
                f"{day.label}: {outside} values outside {low:g} .. {high:g} {UNITS} "
                f"(min {finite.min():.4g}, max {finite.max():.4g})"
            )
        if archive.checksum(values) != record.get("sha256"):
            errors.append(f"{day.label}: stored data differ from what was produced (checksum mismatch)")
        for key, attr in (("method", "method"), ("deepcams_version", "deepcams_version")):
            if record.get(key) != ds.attrs.get(attr):
                errors.append(
                    f"{day.label}: produced with {key} {record.get(key)!r}, archive says {ds.attrs.get(attr)!r}"
                )
        inputs = set(str(ds.attrs.get("input_files", "")).split(", "))
        if not set(record.get("inputs", [])) <= inputs:
            errors.append(f"{day.label}: read inputs the archive's provenance does not list")
    return report


def _check_metadata(ds, errors: list[str]) -> None:
    if VARIABLE not in ds:
        errors.append(f"no {VARIABLE!r} variable")
        return
    attrs = ds[VARIABLE].attrs
    if attrs.get("units") != UNITS or "standard_name" not in attrs:
        errors.append(f"{VARIABLE!r} lacks CF units {UNITS!r} or a standard_name")
    for name, units in (("lat", "degrees_north"), ("lon", "degrees_east")):
        if ds[name].attrs.get("units") != units:
            errors.append(f"coordinate {name!r} lacks units {units!r}")
    for key in ("Conventions", "method", "deepcams_version", "input_files"):
        if not ds.attrs.get(key):
            errors.append(f"global attribute {key!r} (provenance) is missing")
