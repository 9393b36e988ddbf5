"""The dashboard's station layer: OpenAQ files configured -> each method's map shows its stations by bias."""

from __future__ import annotations

import os

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
from bokeh.models import ColumnDataSource

from deepcams.dashboard import Comparison, Dashboard
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.maps import MapGrid
from deepcams.dashboard.regions import CUSTOM
from deepcams.sources import parse_app_args, stations
from deepcams.validation import read_openaq, validate

BOX = {"region": CUSTOM, "west": 6.0, "south": 44.0, "east": 10.0, "north": 47.0}
METHODS = ["bilinear-linear", "nearest-nearest"]
# (id, name, lat, lon): three inside BOX, one outside it
PLACES = [("Alpha", 45.1, 7.63), ("Beta", 46.37, 8.91), ("Gamma", 44.62, 9.4), ("Faraway", 52.5, 13.4)]
V2_HEADER = "location,city,country,utc,local,parameter,value,unit,latitude,longitude,attribution"


def write_v2(path, hours: pd.DatetimeIndex) -> None:
    """An OpenAQ v2 measurements CSV: every second hour, values that differ by station and hour."""
    lines = [V2_HEADER]
    for k, (name, lat, lon) in enumerate(PLACES):
        for j, time in enumerate(hours[::2]):
            stamp = f"{time:%Y-%m-%dT%H:%M:%S}.000Z"
            lines.append(f"{name},City,IT,{stamp},{stamp},pm25,{5 + 7 * k + (j % 5)},µg/m³,{lat},{lon},[]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rendered_biases(maps: MapGrid) -> list[float]:
    """The biases of the station points in the Bokeh figures the page would show."""
    root = hv.render(maps._pane.object, backend="bokeh")
    sources = {id(s): s for s in root.select({"type": ColumnDataSource}) if "bias" in s.data}
    return sorted(round(float(b), 6) for s in sources.values() for b in s.data["bias"])


def make(files=(), **params) -> Comparison:
    return Comparison(cache=ResultCache(), station_files=tuple(files), dataset="demo", **params)


def test_station_files_from_arguments_and_environment(tmp_path):
    one, two = tmp_path / "a.csv", tmp_path / "b.csv"
    assert parse_app_args(["--data", "x", "--stations", str(one), f"--stations={two}"], {}).stations == (
        one,
        two,
    )
    assert parse_app_args([], {"DEEPCAMS_STATIONS": f"{one}{os.pathsep}{two}"}).stations == (one, two)
    assert parse_app_args(["--data", str(one)], {}).stations == ()


def test_each_method_map_shows_its_stations_coloured_by_validate_bias(tmp_path):
    plain = make(methods=METHODS, **BOX)
    path = tmp_path / "openaq.csv"
    write_v2(path, pd.date_range(plain.start, plain.end, freq="h"))
    c = make([path], methods=METHODS, **BOX)
    assert stations((path,)) is c.stations  # read once per process
    maps = MapGrid(comparison=c)
    assert maps.station_layers == {}  # before a run: no layer
    c.run()
    expected = validate(c.results, read_openaq(path)).per_station
    assert set(maps.station_layers) == set(METHODS)
    for name in METHODS:
        layer = maps.station_layers[name].data.sort_values("name")
        want = expected[expected["product"] == name].sort_values("name")
        assert list(layer["name"]) == ["Alpha", "Beta", "Gamma"]  # Faraway lies outside the region
        np.testing.assert_allclose(layer["bias"], want["bias"])
        np.testing.assert_allclose(layer["rmse"], want["rmse"])
        np.testing.assert_array_equal(layer["n"], want["n"])
        np.testing.assert_allclose(layer[["y", "x"]], [p[1:] for p in PLACES[:3]])  # plate carree: lat, lon
    biases = maps.station_layers["bilinear-linear"].data["bias"]
    assert not np.allclose(biases, maps.station_layers["nearest-nearest"].data["bias"])
    low, high = maps.station_layers[METHODS[0]].opts.get().kwargs["clim"]
    assert low == -high and high >= np.abs(expected["bias"]).max()  # centred on zero
    assert rendered_biases(maps) == sorted(expected["bias"].round(6))  # drawn on the method maps

    c.param.update(west=30.0, east=34.0)  # no station inside: no layer
    c.run()
    assert maps.station_layers == {} and c.station_scores.empty


def test_without_station_files_nothing_changes():
    c = make(methods=["bilinear-linear"], **BOX)
    c.run()
    assert c.stations is None and c.station_scores is None
    maps = MapGrid(comparison=c)
    assert maps.station_layers == {} and rendered_biases(maps) == []
    assert Dashboard(comparison=c).stations_info.object == ""


@pytest.mark.parametrize(
    "content, message",
    [("a,b\n1,2\n", "not a known station layout"), (None, "no such station file")],
)
def test_an_unreadable_station_file_is_a_visible_message(tmp_path, content, message):
    path = tmp_path / "stations.csv"
    if content is not None:
        path.write_text(content)
    dashboard = Dashboard(comparison=make([path], methods=["bilinear-linear"], **BOX))
    assert dashboard.alert.visible and message in dashboard.alert.object
    assert message in dashboard.stations_info.object and "none readable" in dashboard.stations_info.object
    dashboard.comparison.run()  # still usable, with no layer
    assert dashboard.maps.station_layers == {}
