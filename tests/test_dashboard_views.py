"""The station panel and the exposure view on the real sample: the Black Summer run against its OpenAQ
stations, and its daily means and WHO exceedances, each number the library's own."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn
import pytest
import xarray as xr

from deepcams.dashboard import Comparison, Dashboard, ExposureView, StationsPanel
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.comparison import INPUT
from deepcams.dashboard.selection import Selection
from deepcams.dashboard.stations_panel import symlog
from deepcams.exposure import WHO_24H, aggregate, daily_means
from deepcams.validation import match_stations, target_points, validate

METHODS = ["deepcams", "bicubic-linear"]
SYDNEY = {"timezone": "Australia/Sydney", "min_coverage": 0.4}  # the run's 10 hours lie in one local day


@pytest.fixture(scope="module")
def black_summer() -> Comparison:
    """deepcams and bicubic-linear on the sample's region (SE Australia) and all its hours."""
    c = Comparison(cache=ResultCache(), dataset="sample-real", methods=METHODS)
    c.run()
    assert list(c.results) == METHODS and len(c.hours) == 10
    return c


def scatters(diagram: hv.Overlay) -> dict[str, hv.Scatter]:
    return {e.label: e for e in diagram if isinstance(e, hv.Scatter)}


def test_station_table_is_validates_own_statistics(black_summer):
    c = black_summer
    panel = StationsPanel(comparison=c, open=True)
    table = panel.overall().set_index("product")
    expected = validate(c.results, c.station_table()).overall.set_index("product")
    assert list(table.index) == [c.label(INPUT), *METHODS]  # the CAMS input as the reference
    for name in METHODS:
        for column in ("n", "stations", "r", "rmse", "mae", "bias", "nmb", "fac2", "ioa", "mqi90"):
            assert np.isfinite(table.loc[name, column])
            assert table.loc[name, column] == pytest.approx(expected.loc[name, column])
    assert table.loc["deepcams", "r"] > table.loc["bicubic-linear", "r"]  # as docs/validation.md reports
    assert table.loc["deepcams", "stations"] == 31
    html = panel.table().object
    assert "mqi90" in html and f"{expected.loc['deepcams', 'rmse']:,.1f}" in html


def test_target_diagram_has_each_products_stations_at_the_librarys_coordinates(black_summer):
    panel = StationsPanel(comparison=black_summer, open=True)
    points = target_points(panel.validation)
    drawn = scatters(panel.target_diagram())
    assert list(drawn) == [black_summer.label(INPUT), *METHODS]  # one scatter per product
    for name, scatter in drawn.items():
        mine = points[points["product"] == name]
        assert len(scatter) == len(mine) == 31  # a point per station
        # far outside the MQI circle on hourly pairs against 24-h means: the log axis beyond 1
        np.testing.assert_allclose(scatter.dimension_values("px"), symlog(mine["x"]))
        np.testing.assert_allclose(scatter.dimension_values("py"), symlog(mine["y"]))
        np.testing.assert_allclose(scatter.dimension_values("mqi"), np.hypot(mine["x"], mine["y"]))
    assert symlog(np.array([-10.0, -0.5, 1.0, 100.0])).tolist() == [-2.0, -0.5, 1.0, 3.0]


def test_selecting_a_station_shows_its_series(black_summer):
    c = black_summer
    panel = StationsPanel(comparison=c, open=True)
    options = panel.param.station.names
    assert len(options) == 31 and "Wagga Wagga Nth (2471)" in options
    first = panel.station_series()
    panel.station = options["Wagga Wagga Nth (2471)"]
    series = panel.station_series()
    assert list(series.columns) == ["observed", c.label(INPUT), *METHODS]
    assert not first.equals(series)
    pairs = match_stations(c.results["deepcams"], c.station_table())
    mine = pairs[pairs["station"] == "2471"].set_index("time")
    np.testing.assert_allclose(series["deepcams"].dropna(), mine["predicted"])
    np.testing.assert_allclose(series.loc[mine.index, "observed"], mine["observed"])
    assert "Wagga Wagga Nth" in panel.series().object.opts.get().kwargs["title"]


def test_a_tap_on_the_maps_near_a_station_picks_it(black_summer):
    selection = Selection()
    panel = StationsPanel(comparison=black_summer, selection=selection, open=True)
    places = panel.validation.pairs.drop_duplicates("station").set_index("station")
    lon, lat = places.loc["2471", ["lon", "lat"]]
    assert panel.station != "2471"
    selection.point = (lon + 0.05, lat - 0.05)  # what a tap on the maps sets
    assert panel.station == "2471" and "Wagga Wagga Nth" in panel.series().object.opts.get().kwargs["title"]
    selection.point = (lon + 5.0, lat)  # far from every station: the shown one stays
    assert panel.station == "2471"


def test_station_panel_validates_only_when_opened_and_says_why_not(black_summer):
    panel = StationsPanel(comparison=black_summer)
    assert panel.validation is None  # collapsed: no work at page opening
    pn.panel(panel).collapsed = False
    assert panel.open and panel.validation is not None
    panel.window = "rolling24"  # the sample's 10 hours hold no 24-hour window
    assert panel.validation is None and "0 stations matched" in panel.problem
    assert panel.note().visible and "0 stations matched" in panel.note().object
    panel.window = "hourly"
    assert panel.validation is not None and not panel.problem


def test_station_panel_without_stations_says_so():
    c = Comparison(cache=ResultCache(), dataset="sample-simulation", methods=["bicubic-linear"])
    panel = StationsPanel(comparison=c, open=True)
    assert "Run a comparison" in panel.problem
    c.run()
    assert panel.validation is None and "No stations for this dataset" in panel.problem


def test_exposure_counts_are_the_librarys(black_summer):
    c = black_summer
    view = ExposureView(comparison=c, open=True)
    assert not view.products and "no UTC day of this run (10 hours) has 75%" in view.problem  # 9 + 1 hours
    view.param.update(**SYDNEY)
    assert list(view.products) == METHODS and not view.problem
    table = view.daily_table()
    assert len(table) == len(METHODS)  # one local day each
    for name in METHODS:
        expected = aggregate(c.results[name], **SYDNEY)["days_over_24h_guideline"].sum("year", min_count=1)
        xr.testing.assert_allclose(view.days_over(name), expected)
        daily = daily_means(c.results[name], **SYDNEY).isel(day=0)
        lat = np.radians(daily["lat"].values)
        weight = np.broadcast_to((np.sin(lat + np.radians(0.125)) - np.sin(lat - np.radians(0.125)))[:, None],
                                 daily.shape)  # fmt: skip
        valid = np.isfinite(daily.values)
        row = table[table["method"] == name].iloc[0]
        assert row["mean"] == pytest.approx(
            np.sum(weight * np.nan_to_num(daily.values)) / weight[valid].sum()
        )
        share = weight[valid & (daily.values > WHO_24H)].sum() / weight[valid].sum()
        assert row["area_over_who"] == pytest.approx(share) and 0 < share < 1
    view.method = "bicubic-linear"
    image = next(e for e in view.days_image() if isinstance(e, hv.Image))
    np.testing.assert_array_equal(image.dimension_values(2, flat=False), view.days_over("bicubic-linear"))
    assert not np.array_equal(view.days_over("bicubic-linear"), view.days_over("deepcams"))


def test_exposure_bad_time_zone_is_a_message(black_summer):
    view = ExposureView(comparison=black_summer, open=True, **SYDNEY)
    view.timezone = "Mars/Olympus"
    assert not view.products and view.problem.startswith("unknown time zone 'Mars/Olympus'")
    assert view.note().object == view.problem


def test_components_render_and_sit_collapsed_on_the_page(black_summer):
    panel = StationsPanel(comparison=black_summer, open=True)
    view = ExposureView(comparison=black_summer, open=True, **SYDNEY)
    for component in (panel, view):
        assert pn.panel(component).get_root() is not None
    main = Dashboard(comparison=black_summer).main()
    cards = [o for o in main.select(pn.Card) if {"stations-panel", "exposure-view"} & set(o.css_classes)]
    assert len(cards) == 2 and all(card.collapsed for card in cards)
    assert main.get_root() is not None
