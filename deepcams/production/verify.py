"""`verify`: is a production archive complete, finite where its input had data, physical, and consistent?

Reads every day once: its hours must all be there with a completion record, its NaN count must be the one
its record states (zero unless the input had gaps), its bytes must hash to the record's checksum, its values
must be finite and below 1e5 ug m-3 (negative values, a method's overshoot, are warnings), and its record
must name the archive's method, version and inputs.
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

# ug m-3: the worst wildfire smoke reaches a few thousand; beyond this a value is an error, not smoke
UPPER_LIMIT = 1.0e5


@dataclass
class VerifyReport:
    store: Path
    days: int = 0
    hours: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    strict: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not (self.strict and self.warnings)

    def summary(self) -> str:
        head = f"{self.store}: {self.days} days, {self.hours} hours"
        problems = self.errors + (self.warnings if self.strict else [])
        notes = [] if self.strict else self.warnings
        lines = [f"  - {e}" for e in problems[:20]] + [f"  warning: {w}" for w in notes[:20]]
        if len(problems) > 20 or len(notes) > 20:
            lines.append("  ... (more not shown)")
        if self.ok:
            text = f"{head}: OK (every hour present, finite, in range, checksums and provenance consistent)"
        else:
            text = f"{head}: {len(problems)} problem(s)"
        return "\n".join([text, *lines])


def verify_archive(path: str | os.PathLike, strict: bool = False) -> VerifyReport:
    """Check an archive written by `deepcams.production.produce`; problems are listed, not raised.

    Negative values are warnings: interpolating methods (bicubic) overshoot below zero next to sharp
    plumes, a property of the method rather than a fault of the run; `strict` makes them errors.
    """
    ds = archive.open_archive(path)
    report = VerifyReport(store=Path(path), strict=strict)
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
        if np.isinf(values).any() or np.nanmax(values, initial=0.0) > UPPER_LIMIT:
            errors.append(
                f"{day.label}: values above {UPPER_LIMIT:g} {UNITS} or infinite (max {np.nanmax(values):.4g})"
            )
        negative = int((values < 0).sum())
        if negative:
            report.warnings.append(
                f"{day.label}: {negative} negative values (min {np.nanmin(values):.4g} {UNITS}): "
                f"overshoot of the method {ds.attrs.get('method')!r}"
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
