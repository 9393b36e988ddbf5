"""Reading station PM2.5 exported from OpenAQ into one tidy table.

Two layouts are recognised by their header:
- v2 measurements CSV (API/explorer exports): `location, city, country, utc, local, parameter, value, unit,
  latitude, longitude[, attribution]`, some exports with a leading `locationId`; times in `utc`.
- v3 CSV (the OpenAQ archive's `location-<id>-<yyyymmdd>.csv[.gz]` files): `location_id, sensors_id,
  location, datetime, lat, lon, parameter, units, value`; `datetime` is local time with its UTC offset.
Only `pm25` rows are kept; their units must be micrograms per cubic metre.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from deepcams.errors import DeepcamsError

LAYOUTS = {
    "openaq-v2": {
        "station": "location",
        "time": "utc",
        "lat": "latitude",
        "lon": "longitude",
        "units": "unit",
    },
    "openaq-v3": {"station": "location_id", "time": "datetime", "lat": "lat", "lon": "lon", "units": "units"},
}
_MICROGRAMS = re.compile(r"^(µ|μ|u|micro)g(rams?)?\s*(/\s*m(3|³)|\s*m-3|\s*m\^-3)$")


def _layout(columns: list[str], path: Path) -> str:
    have = set(columns)
    for name, layout in LAYOUTS.items():
        if set(layout.values()) | {"parameter", "value"} <= have:
            return name
    raise DeepcamsError(
        f"{path}: not an OpenAQ v2 measurements or v3 CSV export (columns: {', '.join(columns[:12])}); "
        "expected e.g. location,utc,parameter,value,unit,latitude,longitude or "
        "location_id,datetime,lat,lon,parameter,units,value"
    )


def read_openaq(path: str | os.PathLike) -> pd.DataFrame:
    """Station PM2.5 as columns station, name, lat, lon, time (UTC, naive), pm25 (ug m-3).

    Negative values (OpenAQ's -999 and sensor errors) and empty values are dropped; how many is in
    `df.attrs["dropped"]`.
    """
    path = Path(path)
    if not path.is_file():
        raise DeepcamsError(f"no such station file: {path}")
    try:
        table = pd.read_csv(path, dtype={"location_id": str, "location": str, "sensors_id": str})
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise DeepcamsError(f"{path}: cannot read as CSV: {str(exc).splitlines()[0]}") from None
    layout_name = _layout(list(table.columns), path)
    layout = LAYOUTS[layout_name]
    table = table[table["parameter"].astype(str).str.lower().isin(["pm25", "pm2.5"])]
    if table.empty:
        raise DeepcamsError(f"{path}: no PM2.5 rows (parameter 'pm25')")
    units = sorted(set(table[layout["units"]].astype(str).str.strip()))
    wrong = [u for u in units if not _MICROGRAMS.match(u.lower())]
    if wrong:
        raise DeepcamsError(
            f"{path}: PM2.5 in {', '.join(wrong)}; only micrograms per m3 (µg/m³) are accepted"
        )
    try:
        time = pd.to_datetime(table[layout["time"]], utc=True, format="ISO8601").dt.tz_convert(None)
    except (ValueError, TypeError) as exc:
        raise DeepcamsError(
            f"{path}: {layout['time']!r} is not an ISO time with a UTC offset: {exc}"
        ) from None
    names = table["location"].astype(str) if "location" in table else table[layout["station"]].astype(str)
    out = pd.DataFrame(
        {
            "station": table[layout["station"]].astype(str).to_numpy(),
            "name": names.to_numpy(),
            "lat": pd.to_numeric(table[layout["lat"]], errors="coerce").to_numpy(),
            "lon": pd.to_numeric(table[layout["lon"]], errors="coerce").to_numpy(),
            "time": time.to_numpy(),
            "pm25": pd.to_numeric(table["value"], errors="coerce").to_numpy(dtype="float64"),
        }
    )
    valid = np.isfinite(out["pm25"]) & (out["pm25"] >= 0) & np.isfinite(out["lat"]) & np.isfinite(out["lon"])
    dropped = int((~valid).sum())
    out = out[valid].reset_index(drop=True)
    if out.empty:
        raise DeepcamsError(f"{path}: no valid PM2.5 values (all empty, negative or without coordinates)")
    out.attrs = {"layout": layout_name, "dropped": dropped, "source": str(path)}
    return out
