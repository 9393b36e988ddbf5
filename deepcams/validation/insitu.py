"""Products against stations: sample each product at the stations, average both alike, score them.

Station values are averaged onto whole UTC hours (times rounded to the nearest hour). The product is
sampled at each station (bilinear or nearest pixel), then averaged to match the station product (`window`):
- `hourly`: the product's own instants (a 3-hourly CAMS product pairs only at its own hours);
- `rolling24`: the trailing 24-hour mean of the product, for networks that publish 24-hour rolling means
  (the stations' values are taken as they are);
- `daily`: daily means of both, on the days of `timezone` (local-time days).
A window or a day counts only with `min_coverage` of its values present (75 %, the usual data-capture rule).
Statistics are those of `deepcams.validation.statistics`; bias = product - station.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import wrap_lon
from deepcams.io.conventions import check_canonical
from deepcams.validation.statistics import STATISTICS, mqi90, paired_statistics

Interpolation = Literal["bilinear", "nearest"]
Window = Literal["hourly", "rolling24", "daily"]
WINDOWS = ("hourly", "rolling24", "daily")
MIN_COVERAGE = 0.75
PAIR_COLUMNS = ["station", "name", "station_class", "lat", "lon", "time", "observed", "predicted"]


def _hourly(stations: pd.DataFrame) -> pd.DataFrame:
    """One value per station and UTC hour, and one position per station (the median of its rows)."""
    table = stations.assign(time=pd.DatetimeIndex(stations["time"]).as_unit("ns").round("h"))
    if "station_class" not in table:
        table = table.assign(station_class="")
    places = table.groupby("station").agg(
        name=("name", "first"),
        station_class=("station_class", "first"),
        lat=("lat", "median"),
        lon=("lon", "median"),
    )
    values = table.groupby(["station", "time"], as_index=False)["pm25"].mean()
    return values.merge(places, left_on="station", right_index=True)


def _step_hours(times: pd.DatetimeIndex) -> float:
    return float(np.median(np.diff(times.as_unit("ns").asi8)) / 3.6e12) if len(times) > 1 else 1.0


def _sample(field: xr.DataArray, places: pd.DataFrame, interpolation: Interpolation) -> pd.DataFrame:
    """The product at each station: a (time x station) table."""
    lat_axis, lon_axis = field["lat"].values, field["lon"].values
    step = float(np.median(np.diff(lon_axis))) if lon_axis.size > 1 else 0.25
    station_lon = wrap_lon(places["lon"].to_numpy(), start=lon_axis[0])  # regions may run past 180
    if abs(lon_axis.size * step - 360.0) < 1e-6:  # global: repeat the first column after the last
        field = xr.concat([field, field.isel(lon=[0]).assign_coords(lon=[lon_axis[0] + 360.0])], dim="lon")
    at_lat = xr.DataArray(places["lat"].to_numpy(), dims="station")
    at_lon = xr.DataArray(station_lon, dims="station")
    if interpolation == "bilinear":
        sampled = field.interp(lat=at_lat, lon=at_lon, method="linear")
    else:
        inside = (
            (at_lat >= lat_axis[0] - step / 2) & (at_lat <= lat_axis[-1] + step / 2)
            & (at_lon >= lon_axis[0] - step / 2) & (at_lon <= field["lon"].values[-1] + step / 2)
        )  # fmt: skip
        sampled = field.sel(lat=at_lat, lon=at_lon, method="nearest").where(inside)
    return pd.DataFrame(
        np.asarray(sampled.transpose("time", "station").values, dtype="float64"),
        index=pd.DatetimeIndex(field["time"].values, name="time").as_unit("ns"),
        columns=places["station"].to_numpy(),
    )


def _daily(frame: pd.DataFrame, timezone: str, expected: float, min_coverage: float) -> pd.DataFrame:
    """Daily means on `timezone`'s days, NaN where fewer than `min_coverage` of `expected` values."""
    local = frame.index.tz_localize("UTC").tz_convert(timezone).tz_localize(None).floor("D")
    grouped = frame.groupby(local)
    return grouped.mean().where(grouped.count() >= min_coverage * expected).rename_axis("time")


def match_stations(
    product: xr.Dataset,
    stations: pd.DataFrame,
    interpolation: Interpolation = "bilinear",
    *,
    window: Window = "hourly",
    timezone: str = "UTC",
    min_coverage: float = MIN_COVERAGE,
) -> pd.DataFrame:
    """Pairs (station, name, station_class, lat, lon, time, observed, predicted) where both have values.

    Stations outside the product's region get no pairs. `bilinear` interpolates between the four nearest
    pixels (wrapping longitude on a global grid); `nearest` takes the pixel containing the station. With
    `window="daily"`, `time` is the (local) day.
    """
    if interpolation not in ("bilinear", "nearest"):
        raise DeepcamsError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    if window not in WINDOWS:
        raise DeepcamsError(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
    pm25 = check_canonical(product)
    hourly = _hourly(stations)
    times = pd.DatetimeIndex(pm25["time"].values).as_unit("ns")
    lead = pd.Timedelta(hours=24)  # the rolling and daily windows reach back up to a day
    times = times[(times >= hourly["time"].min() - lead) & (times <= hourly["time"].max() + lead)]
    if times.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    places = hourly.drop_duplicates("station")[["station", "lat", "lon"]]
    frame = _sample(pm25.sel(time=times), places, interpolation)
    step = _step_hours(times)
    observed = hourly.pivot(index="time", columns="station", values="pm25")
    if window == "rolling24":
        per_day = round(24 / step)
        regular = pd.date_range(times[0], times[-1], freq=pd.Timedelta(hours=step))
        frame = (
            frame.reindex(regular).rolling(per_day, min_periods=int(np.ceil(min_coverage * per_day))).mean()
        )
    elif window == "daily":
        frame = _daily(frame, timezone, 24 / step, min_coverage)
        observed = _daily(observed, timezone, 24, min_coverage)
    predicted = frame.stack(future_stack=True).rename("predicted").reset_index()
    predicted.columns = ["time", "station", "predicted"]
    values = observed.stack(future_stack=True).rename("observed").reset_index()
    values.columns = ["time", "station", "observed"]
    info = hourly.drop_duplicates("station")[["station", "name", "station_class", "lat", "lon"]]
    pairs = values.merge(predicted, on=["station", "time"]).merge(info, on="station")
    pairs = pairs[np.isfinite(pairs["predicted"]) & np.isfinite(pairs["observed"])]
    return pairs.sort_values(["station", "time"])[PAIR_COLUMNS].reset_index(drop=True)


@dataclass
class ValidationResult:
    """Statistics per product: over all stations (`overall`), per station class (`per_class`, where
    classes are known), per station (`per_station`); the diurnal cycle (hourly windows) and the pairs."""

    per_station: pd.DataFrame
    overall: pd.DataFrame
    interpolation: str
    window: str = "hourly"
    timezone: str = "UTC"
    per_class: pd.DataFrame = field(default_factory=pd.DataFrame)
    diurnal: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)

    def describe(self) -> str:
        averaging = {"hourly": "hourly values", "rolling24": "trailing 24-hour means of the product",
                     "daily": f"daily means ({self.timezone} days)"}[self.window]  # fmt: skip
        return f"{self.interpolation}; {averaging}; bias = product - station, ug m-3; NMB..MFE in %"

    def to_text(self) -> str:
        fmt = (
            {name: "{:.3f}".format for name in ("r", "fac2", "ioa", "mqi", "mqi90")}
            | {name: "{:.2f}".format for name in ("rmse", "mae")}
            | {name: "{:+.1f}".format for name in ("bias", "nmb", "mfb")}
            | {name: "{:.1f}".format for name in ("nme", "mfe")}
        )
        lines = [f"In-situ validation ({self.describe()})", "", "overall:"]
        lines.append(self.overall.to_string(index=False, formatters=fmt))
        if not self.per_class.empty:
            lines += ["", "per station class:", self.per_class.to_string(index=False, formatters=fmt)]
        lines += ["", "per station:", self.per_station.to_string(index=False, formatters=fmt)]
        return "\n".join(lines)

    def to_csv(self) -> str:
        tables = [self.overall.assign(station="ALL", name="all stations")]
        if not self.per_class.empty:
            tables.append(self.per_class.assign(station="CLASS", name=self.per_class["station_class"]))
        table = pd.concat([*tables, self.per_station])
        return table[["product", "station", "name", *STATISTICS]].to_csv(index=False)

    def to_json(self) -> str:
        def records(table: pd.DataFrame) -> list[dict]:
            return json.loads(table.to_json(orient="records", date_format="iso"))

        return json.dumps(
            {
                "interpolation": self.interpolation,
                "window": self.window,
                "timezone": self.timezone,
                "bias": "product - station",
                "units": "ug m-3 (nmb, nme, mfb, mfe: percent)",
                "overall": records(self.overall),
                "per_class": records(self.per_class),
                "per_station": records(self.per_station),
                "diurnal": records(self.diurnal),
            },
            indent=1,
        )


def _score(pairs: pd.DataFrame) -> dict:
    return paired_statistics(pairs["predicted"].to_numpy(), pairs["observed"].to_numpy())


def _no_match(name: str, product: xr.Dataset, stations: pd.DataFrame, window: str) -> DeepcamsError:
    lat, lon = product["lat"].values, product["lon"].values
    times = pd.DatetimeIndex(product["time"].values)
    return DeepcamsError(
        f"0 stations matched product {name!r}: of {stations['station'].nunique()} stations "
        f"({stations['time'].min():%Y-%m-%d %H:%M} .. {stations['time'].max():%Y-%m-%d %H:%M} UTC), none has "
        f"values inside its region (lat {lat.min():g}..{lat.max():g}, lon {lon.min():g}..{lon.max():g}) at its "
        f"times ({times.min():%Y-%m-%d %H:%M} .. {times.max():%Y-%m-%d %H:%M})"
        + (
            ""
            if window == "hourly"
            else f" with the {window} window's coverage ({MIN_COVERAGE:.0%} of its values)"
        )
    )


def _diurnal(pairs: pd.DataFrame, timezone: str) -> pd.DataFrame:
    hour = pairs["time"].dt.tz_localize("UTC").dt.tz_convert(timezone).dt.hour
    table = pairs.groupby(hour).agg(
        observed=("observed", "mean"), predicted=("predicted", "mean"), n=("observed", "size")
    )
    return table.rename_axis("hour").reset_index()


def validate(
    products: dict[str, xr.Dataset],
    stations: pd.DataFrame,
    interpolation: Interpolation = "bilinear",
    *,
    window: Window = "hourly",
    timezone: str = "UTC",
    min_coverage: float = MIN_COVERAGE,
) -> ValidationResult:
    """Score each product against the stations; a product that matches no station is an error."""
    per_station, per_class, overall, diurnal, all_pairs = [], [], [], [], []
    for name, product in products.items():
        pairs = match_stations(
            product, stations, interpolation, window=window, timezone=timezone, min_coverage=min_coverage
        )
        if pairs.empty:
            raise _no_match(name, product, stations, window)
        all_pairs.append(pairs.assign(product=name))
        rows = [
            {"product": name, "station": station, "name": label, "station_class": kind, **_score(group)}
            for (station, label, kind), group in pairs.groupby(
                ["station", "name", "station_class"], sort=True
            )
        ]
        per_station += rows
        stations_mqi = pd.DataFrame(rows)
        overall.append(
            {"product": name, "stations": len(rows), **_score(pairs), "mqi90": mqi90(stations_mqi["mqi"])}
        )
        for kind, group in pairs[pairs["station_class"] != ""].groupby("station_class", sort=True):
            members = stations_mqi[stations_mqi["station_class"] == kind]["mqi"]
            per_class.append(
                {"product": name, "station_class": kind, "stations": group["station"].nunique(),
                 **_score(group), "mqi90": mqi90(members)}
            )  # fmt: skip
        if window != "daily":
            diurnal.append(_diurnal(pairs, timezone).assign(product=name))
    station_table = pd.DataFrame(per_station)
    if not (station_table["station_class"] != "").any():
        station_table = station_table.drop(columns="station_class")
    return ValidationResult(
        per_station=station_table,
        overall=pd.DataFrame(overall),
        interpolation=interpolation,
        window=window,
        timezone=timezone,
        per_class=pd.DataFrame(per_class),
        diurnal=pd.concat(diurnal, ignore_index=True) if diurnal else pd.DataFrame(),
        pairs=pd.concat(all_pairs, ignore_index=True),
    )
