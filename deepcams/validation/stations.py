"""Reading station PM2.5 files into one tidy table, with quality control.

Station files are read here, not in `deepcams.io`: they are point tables for validation, not gridded
products, and nothing but validation (and the dashboard's station layer) reads them.

Layouts are recognised by their header:
- OpenAQ v1 archive (as kept by e.g. the R package airpurifyr): `location_id, location, parameter, value,
  date_utc, unit, lat, long[, country]`; times in UTC.
- OpenAQ v2 measurements CSV (API/explorer exports): `location, city, country, utc, local, parameter, value,
  unit, latitude, longitude[, attribution]`; times in `utc`.
- OpenAQ v3 CSV (the archive's `location-<id>-<yyyymmdd>.csv[.gz]` files and `deepcams download openaq`):
  `location_id, sensors_id, location, datetime, lat, lon, parameter, units, value[, is_monitor]`;
  `datetime` carries its UTC offset.
- EEA / AirBase style (the EEA e-reporting CSV): `AirQualityStation, AirPollutant, Concentration,
  UnitOfMeasurement, DatetimeEnd[, Validity, AirQualityStationType]` joined with the station metadata's
  `Latitude, Longitude` (EEA files carry no coordinates); rows with Validity < 1 are invalid.
- Any CSV, given a column mapping (`columns={"time": ..., "lat": ..., "lon": ..., "value": ...}`, optionally
  `station`, `name`, `units`, `class`, `parameter`); without a `units` column values are taken as ug m-3.

Times without a UTC offset are UTC. Only PM2.5 rows are kept; units are normalised to ug m-3.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from deepcams.errors import DeepcamsError

LAYOUTS = {
    "openaq-v1": {
        "station": "location_id",
        "name": "location",
        "time": "date_utc",
        "lat": "lat",
        "lon": "long",
        "units": "unit",
        "value": "value",
        "parameter": "parameter",
    },
    "openaq-v2": {
        "station": "location",
        "time": "utc",
        "lat": "latitude",
        "lon": "longitude",
        "units": "unit",
        "value": "value",
        "parameter": "parameter",
    },
    "openaq-v3": {
        "station": "location_id",
        "name": "location",
        "time": "datetime",
        "lat": "lat",
        "lon": "lon",
        "units": "units",
        "value": "value",
        "parameter": "parameter",
    },
    "eea": {
        "station": "AirQualityStation",
        "time": "DatetimeEnd",
        "lat": "Latitude",
        "lon": "Longitude",
        "units": "UnitOfMeasurement",
        "value": "Concentration",
        "parameter": "AirPollutant",
    },
}
REQUIRED = ("time", "lat", "lon", "value")
OPTIONAL = ("station", "name", "units", "class", "parameter")
PM25_NAMES = {"pm25", "pm2.5", "pm2_5"}
# unit spellings -> factor to ug m-3
_UNITS = [
    (re.compile(r"^(µ|μ|u|micro)g(rams?)?\s*(/\s*m(3|³)|\s*m-3|\s*m\^-3)$"), 1.0),
    (re.compile(r"^(m|milli)g(rams?)?\s*(/\s*m(3|³)|\s*m-3|\s*m\^-3)$"), 1e3),
    (re.compile(r"^(n|nano)g(rams?)?\s*(/\s*m(3|³)|\s*m-3|\s*m\^-3)$"), 1e-3),
]
# Quality control. No monitor has reported an hourly PM2.5 mean near this (wildfire and dust peaks reach a
# few thousand ug m-3): above it a value is a sensor or unit fault.
IMPOSSIBLE = 5000.0
# This many identical consecutive values at a station is a stuck sensor (the Black Summer 24-hour rolling
# means repeat at most 18 times).
FLAT_HOURS = 24
REASONS = {
    "empty": "empty or not a number",
    "negative": "negative",
    "impossible": f"above {IMPOSSIBLE:g} ug m-3",
    "flat": f"flat lines ({FLAT_HOURS}+ identical values)",
    "coordinates": "coordinates not numbers or outside -90..90, -180..360",
    "time": "no time",
}


def _detect(columns: list[str], path: Path) -> tuple[str, dict]:
    have = set(columns)
    for name, layout in LAYOUTS.items():
        if {column for key, column in layout.items() if key != "name"} <= have:  # names are optional
            return name, {key: column for key, column in layout.items() if column in have}
    if {"AirQualityStation", "Concentration"} <= have:
        raise DeepcamsError(
            f"{path}: an EEA file without coordinates: join the station metadata's Latitude and Longitude "
            "columns, or give a column mapping (--columns time=...,lat=...,lon=...,value=...)"
        )
    raise DeepcamsError(
        f"{path}: not a known station layout (columns: {', '.join(columns[:12])}); expected OpenAQ v1/v2/v3, "
        "EEA, or give a column mapping (--columns time=...,lat=...,lon=...,value=...)"
    )


def parse_columns(text: str) -> dict[str, str]:
    """`time=Date,lat=Y,lon=X,value=PM25` -> a column mapping for `read_stations`."""
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, column = item.partition("=")
        if not sep or not column.strip():
            raise DeepcamsError(f"column mapping item {item!r} is not KEY=COLUMN")
        mapping[key.strip()] = column.strip()
    return mapping


def _mapping(columns: dict[str, str], have: list[str], path: Path) -> dict:
    unknown = sorted(set(columns) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise DeepcamsError(
            f"column mapping keys {', '.join(unknown)} unknown; use {', '.join(REQUIRED + OPTIONAL)}"
        )
    missing_keys = [key for key in REQUIRED if key not in columns]
    if missing_keys:
        raise DeepcamsError(f"column mapping lacks {', '.join(missing_keys)} (needs time, lat, lon, value)")
    absent = [column for column in columns.values() if column not in have]
    if absent:
        raise DeepcamsError(
            f"{path}: no column {', '.join(map(repr, absent))} (columns: {', '.join(have[:12])})"
        )
    return dict(columns)


def _factors(units: pd.Series, path: Path) -> np.ndarray:
    """Per row, the factor to ug m-3; an error naming the units that are not a mass concentration."""
    table = {}
    for unit in units.unique():
        text = str(unit).strip().lower()
        table[unit] = next((factor for pattern, factor in _UNITS if pattern.match(text)), None)
    wrong = sorted(str(u) for u, factor in table.items() if factor is None)
    if wrong:
        raise DeepcamsError(
            f"{path}: PM2.5 in {', '.join(wrong)}; only mass concentrations (µg/m³) are accepted"
        )
    return units.map(table).to_numpy(dtype="float64")


def _utc(values: pd.Series, column: str, path: Path) -> pd.Series:
    """ISO 8601 times (with or without offset; without = UTC) as naive UTC; one-line error otherwise."""
    text = values.astype("string").str.strip()
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = text[parsed.isna() & text.notna() & (text != "")]
    if not bad.empty:
        raise DeepcamsError(
            f"{path}: column {column!r} holds {len(bad)} times that are not ISO 8601 (first: {bad.iloc[0]!r}); "
            "write them like 2024-03-01T13:00:00Z or 2024-03-01 13:00:00+01:00"
        )
    return parsed.dt.tz_convert(None)


def _flat(table: pd.DataFrame) -> pd.Series:
    """Rows inside a run of FLAT_HOURS or more identical consecutive values at one station."""
    ordered = table.sort_values(["station", "time"])
    new_run = (ordered["pm25"] != ordered["pm25"].shift()) | (
        ordered["station"] != ordered["station"].shift()
    )
    run = new_run.cumsum()
    length = run.map(run.value_counts())
    return (length >= FLAT_HOURS).reindex(table.index)


def read_stations(path: str | os.PathLike, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Station PM2.5 as columns station, name, station_class, lat, lon, time (UTC, naive), pm25 (ug m-3).

    Rows failing quality control (empty, negative, impossible values, flat lines, bad coordinates) are
    dropped; `df.attrs["quality"]` counts them by reason (see `REASONS`), `df.attrs["dropped"]` in all.
    """
    path = Path(path)
    if not path.is_file():
        raise DeepcamsError(f"no such station file: {path}")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise DeepcamsError(f"{path}: cannot read as CSV: {str(exc).splitlines()[0]}") from None
    have = [str(c) for c in table.columns]
    if columns:
        layout_name, layout = "columns", _mapping(columns, have, path)
    else:
        layout_name, layout = _detect(have, path)
    if "parameter" in layout:
        names = table[layout["parameter"]].astype(str).str.strip().str.lower()
        table = table[names.isin(PM25_NAMES)]
        if table.empty:
            raise DeepcamsError(f"{path}: no PM2.5 rows (parameter 'pm25' or 'PM2.5')")
    if table.empty:
        raise DeepcamsError(f"{path}: no rows")
    station_column = layout.get("station")
    if station_column:
        station = table[station_column].astype(str)
    else:  # one station per position
        station = table[layout["lat"]].astype(str) + "," + table[layout["lon"]].astype(str)
    name = table[layout["name"]].astype(str) if "name" in layout else station
    if "class" in layout:
        kind = table[layout["class"]].fillna("").astype(str)
    elif "is_monitor" in table:
        monitor = table["is_monitor"].astype(str).str.lower()
        kind = monitor.map({"true": "monitor", "false": "low-cost"}).fillna("")
    elif "AirQualityStationType" in table:
        kind = table["AirQualityStationType"].fillna("").astype(str)
    else:
        kind = pd.Series("", index=table.index)
    value = pd.to_numeric(table[layout["value"]], errors="coerce")
    if "units" in layout:
        value = value * _factors(table[layout["units"]].fillna("").astype(str), path)
    if "Validity" in table and layout_name == "eea":
        value = value.where(pd.to_numeric(table["Validity"], errors="coerce") >= 1)
    out = pd.DataFrame(
        {
            "station": station.to_numpy(),
            "name": name.to_numpy(),
            "station_class": kind.to_numpy(),
            "lat": pd.to_numeric(table[layout["lat"]], errors="coerce").to_numpy(),
            "lon": pd.to_numeric(table[layout["lon"]], errors="coerce").to_numpy(),
            "time": _utc(table[layout["time"]], layout["time"], path).to_numpy(),
            "pm25": value.to_numpy(dtype="float64"),
        }
    )
    failed = {
        "coordinates": ~(out["lat"].between(-90, 90) & out["lon"].between(-180, 360)),
        "time": out["time"].isna(),
        "empty": ~np.isfinite(out["pm25"]),
        "negative": out["pm25"] < 0,
        "impossible": out["pm25"] > IMPOSSIBLE,
    }
    valid = ~np.logical_or.reduce(list(failed.values()))
    failed["flat"] = pd.Series(False, index=out.index)
    failed["flat"][valid] = _flat(out[valid])
    quality, taken = {}, pd.Series(False, index=out.index)
    for reason, rows in failed.items():  # each dropped row counted once, under its first reason
        quality[reason] = int((rows & ~taken).sum())
        taken |= rows
    out = out[~taken].reset_index(drop=True)
    if out.empty:
        raise DeepcamsError(f"{path}: no valid PM2.5 values ({describe_quality(quality, len(taken))})")
    out.attrs = {"layout": layout_name, "dropped": int(taken.sum()), "quality": quality, "source": str(path)}
    return out


def describe_quality(quality: dict[str, int], rows: int) -> str:
    """'dropped 3 of 120 rows: 2 negative, 1 flat lines (...)', or 'all 120 rows passed quality control'."""
    parts = [f"{count} {REASONS[reason]}" for reason, count in quality.items() if count]
    if not parts:
        return f"all {rows} rows passed quality control"
    return f"dropped {sum(quality.values())} of {rows} rows: " + ", ".join(parts)


SAMPLE_STATIONS = Path(__file__).resolve().parents[1] / "data" / "openaq_black_summer.csv"
SAMPLE_ATTRIBUTION = (
    "OpenAQ; NSW Department of Planning and Environment; ACT Health; EPA Victoria (CC BY 4.0)"
)


def open_sample_stations() -> pd.DataFrame:
    """The packaged real stations of the CAMS sample's days (Black Summer 2019-12-31 .. 2020-01-01, 24-hour
    rolling means); attribute `SAMPLE_ATTRIBUTION` wherever shown."""
    return read_stations(SAMPLE_STATIONS)


def read_openaq(path: str | os.PathLike) -> pd.DataFrame:
    """`read_stations` for the OpenAQ layouts (the name the dashboard's station layer uses)."""
    return read_stations(path)
