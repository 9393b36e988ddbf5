"""Products against stations: sample each product at the stations, align hours, score per station and overall.

Station values are hourly averaged onto whole UTC hours (times rounded to the nearest hour, several values in
one hour averaged), then paired with the product frames at the same hours: a 3-hourly CAMS product pairs only
at its own hours, so N differs between products. Scores (N, R, RMSE, bias = product - station, MAE) come
from `deepcams.metrics.scores`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.errors import DeepcamsError
from deepcams.grids import wrap_lon
from deepcams.io.conventions import check_canonical
from deepcams.metrics import scores

Interpolation = Literal["bilinear", "nearest"]
STATISTICS = ["n", "r", "rmse", "bias", "mae"]


def _hourly(stations: pd.DataFrame) -> pd.DataFrame:
    """One value per station and UTC hour, and one position per station (the median of its rows)."""
    table = stations.assign(time=stations["time"].dt.round("h"))
    places = table.groupby("station").agg(
        name=("name", "first"), lat=("lat", "median"), lon=("lon", "median")
    )
    values = table.groupby(["station", "time"], as_index=False)["pm25"].mean()
    return values.merge(places, left_on="station", right_index=True)


def match_stations(
    product: xr.Dataset, stations: pd.DataFrame, interpolation: Interpolation = "bilinear"
) -> pd.DataFrame:
    """Pairs (station, name, lat, lon, time, observed, predicted) at the hours both have.

    Stations outside the product's region get no pairs. `bilinear` interpolates between the four nearest
    pixels (wrapping longitude on a global grid); `nearest` takes the pixel containing the station.
    """
    if interpolation not in ("bilinear", "nearest"):
        raise DeepcamsError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    pm25 = check_canonical(product)
    hourly = _hourly(stations)
    times = pd.DatetimeIndex(pm25["time"].values)
    hourly = hourly[hourly["time"].isin(times)]
    if hourly.empty:
        return pd.DataFrame(columns=["station", "name", "lat", "lon", "time", "observed", "predicted"])
    lat_axis, lon_axis = pm25["lat"].values, pm25["lon"].values
    step = float(np.median(np.diff(lon_axis))) if lon_axis.size > 1 else 0.25
    places = hourly.drop_duplicates("station")[["station", "lat", "lon"]]
    station_lon = wrap_lon(places["lon"].to_numpy(), start=lon_axis[0])  # regions may run past 180
    field = pm25.sel(time=pd.DatetimeIndex(sorted(hourly["time"].unique())))
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
    frame = pd.DataFrame(
        np.asarray(sampled.transpose("time", "station").values, dtype="float64"),
        index=pd.DatetimeIndex(field["time"].values, name="time"),
        columns=places["station"].to_numpy(),
    )
    predicted = frame.stack(future_stack=True).rename("predicted").reset_index()
    predicted.columns = ["time", "station", "predicted"]
    pairs = hourly.merge(predicted, on=["station", "time"]).rename(columns={"pm25": "observed"})
    pairs = pairs[np.isfinite(pairs["predicted"])]
    return pairs[["station", "name", "lat", "lon", "time", "observed", "predicted"]].reset_index(drop=True)


@dataclass
class ValidationResult:
    """Scores per product and station (`per_station`) and per product over all stations (`overall`)."""

    per_station: pd.DataFrame
    overall: pd.DataFrame
    interpolation: str

    def to_text(self) -> str:
        fmt = {
            "r": "{:.3f}".format,
            "rmse": "{:.2f}".format,
            "bias": "{:+.2f}".format,
            "mae": "{:.2f}".format,
        }
        lines = [
            f"In-situ validation ({self.interpolation}; bias = product - station, ug m-3)",
            "",
            "overall:",
            self.overall.to_string(index=False, formatters=fmt),
            "",
            "per station:",
            self.per_station.to_string(index=False, formatters=fmt),
        ]
        return "\n".join(lines)

    def to_csv(self) -> str:
        table = pd.concat([self.overall.assign(station="ALL", name="all stations"), self.per_station])
        return table[["product", "station", "name", *STATISTICS]].to_csv(index=False)

    def to_json(self) -> str:
        def records(table: pd.DataFrame) -> list[dict]:
            return json.loads(table.to_json(orient="records"))

        return json.dumps(
            {
                "interpolation": self.interpolation,
                "bias": "product - station",
                "units": "ug m-3",
                "overall": records(self.overall),
                "per_station": records(self.per_station),
            },
            indent=1,
        )


def _score(pairs: pd.DataFrame) -> dict:
    result = scores(pairs["predicted"].to_numpy(), pairs["observed"].to_numpy())
    return {name: result[name] for name in STATISTICS}


def validate(
    products: dict[str, xr.Dataset], stations: pd.DataFrame, interpolation: Interpolation = "bilinear"
) -> ValidationResult:
    """Score each product against the stations; a product with no station-hour in common is an error."""
    per_station, overall = [], []
    for name, product in products.items():
        pairs = match_stations(product, stations, interpolation)
        if pairs.empty:
            raise DeepcamsError(f"product {name!r} shares no station and hour with the station file")
        overall.append({"product": name, "stations": pairs["station"].nunique(), **_score(pairs)})
        for (station, label), group in pairs.groupby(["station", "name"], sort=True):
            per_station.append({"product": name, "station": station, "name": label, **_score(group)})
    return ValidationResult(pd.DataFrame(per_station), pd.DataFrame(overall), interpolation)
