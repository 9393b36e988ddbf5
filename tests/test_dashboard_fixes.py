"""Issue 12's dashboard fixes, one test each: the opening view's parts, projections, exports, labels."""

from __future__ import annotations

import asyncio
import io
import time

import numpy as np
import pandas as pd
import panel as pn
import pytest
from bokeh.core.validation.check import check_integrity
from bokeh.document import Document
from bokeh.models import Line, Plot
from PIL import Image

from deepcams.dashboard import Comparison, Dashboard, MapGrid, SeriesChart
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.comparison import INPUT, TRUTH
from deepcams.dashboard.maps import HOUR_INTERVAL_MS
from deepcams.dashboard.projections import PLATE_CARREE, PROJECTIONS, lon_formatter


def make(**params) -> Comparison:
    return Comparison(cache=ResultCache(), **params)


def test_switching_datasets_raises_no_false_error_and_clears_the_status():
    dashboard = Dashboard(comparison=make(dataset="sample-simulation", methods=["bicubic-linear"]))
    asyncio.run(dashboard._run())
    assert dashboard.status_line.object.startswith("Ran ")
    dashboard.comparison.dataset = "sample-real"
    assert dashboard.comparison.problem == "" and not dashboard.alert.visible
    assert dashboard.status_line.object == ""  # no stale "Ran ... on BOX"
    assert "no truth" in dashboard.caption.object


def test_availability_names_the_last_day_and_the_dataset_help_is_its_description():
    dashboard = Dashboard(comparison=make(dataset="sample-real", methods=["bicubic-linear"]))
    assert "2020-01-01 00:00" in dashboard.availability.object
    assert dashboard.widgets["dataset"].description == dashboard.comparison.source.description
    assert isinstance(dashboard.widgets["device"], pn.widgets.Select)


def test_the_dataset_choices_the_browser_gets_hold_no_server_path(tmp_path):
    import deepcams
    from deepcams.io.providers import to_cams_netcdf

    root = tmp_path / "root"
    (root / "case").mkdir(parents=True)
    to_cams_netcdf(deepcams.open_sample_cams(), root / "case" / "cams.nc")
    comparison = make(roots=(root,), preview=False)
    choices = comparison.param.dataset.objects  # label -> key, as the Select sends them to the page
    assert choices["case (CAMS input)"] == "user:0/case"
    assert all(str(tmp_path) not in label + key for label, key in choices.items()), choices
    comparison.dataset = "user:0/case"
    assert comparison.source.cams.sizes["time"] == 4
    with pytest.raises(ValueError):
        comparison.dataset = f"user:{root / 'case'}"  # a path is no key


def test_the_tapped_point_resets_when_the_region_changes_and_is_marked():
    dashboard = Dashboard(comparison=make(dataset="sample-real", methods=["bicubic-linear"]))
    dashboard.comparison.run()
    dashboard.maps._tapped(148.0, -35.0)
    assert dashboard.selection.point == (148.0, -35.0)
    root = pn.Row(dashboard.maps).get_root()  # the maps' figures on a page, each with its ring
    rings = dashboard.maps._marker_sources
    assert len(rings) == len(dashboard.maps.images) >= 2
    assert all(ring.data == {"x": [148.0], "y": [-35.0]} for ring in rings)
    dashboard.maps._tapped(150.0, -33.0)
    assert all(ring.data == {"x": [150.0], "y": [-33.0]} for ring in rings)
    figures = list(root.select({"type": Plot}))
    assert len(figures) == len(rings)
    for figure in figures:  # coastlines under the ring, drawn once
        lines = [r for r in figure.renderers if isinstance(r.glyph, Line)]
        assert len(lines) == 1 and np.isfinite(np.asarray(lines[0].data_source.data["x"], float)).sum() > 100
    dashboard.comparison.region = "Europe"
    assert dashboard.selection.point is None and "°" in dashboard.series.title().object


def test_png_gif_and_csv_exports_are_named_and_readable():
    dashboard = Dashboard(comparison=make(dataset="sample-real", methods=["bicubic-linear"]))
    dashboard.comparison.run()
    dashboard.selection.hour = 2
    assert dashboard.png.filename == "deepcams_se-australia_20191231T17.png"
    gif = Image.open(dashboard._gif())
    assert gif.format == "GIF" and gif.n_frames == len(dashboard.comparison.hours) == 10
    dashboard.maps._tapped(148.0, -35.0)
    csv = dashboard._csv().getvalue().decode()
    assert "35.00°S, 148.00°E" in csv
    table = pd.read_csv(io.StringIO(csv), comment="#", index_col=0)
    assert list(table.columns) == ["CAMS input", "bicubic-linear"] and len(table) == 10


def test_no_bokeh_validation_warning_on_the_page():
    dashboard = Dashboard(comparison=make(dataset="sample-real", methods=["bicubic-linear"]))
    dashboard.comparison.run()
    root = pn.Row(dashboard.controls(), dashboard.main()).get_root(Document())
    issues = check_integrity(root.references())
    assert [i.code for i in issues.warning + issues.error] == []
    dashboard.comparison.run()  # maps made after the page is shown, as the served page's opening run does
    issues = check_integrity(root.references())
    assert [i.code for i in issues.warning + issues.error] == []
    dashboard.exposure.param.update(timezone="Australia/Sydney", min_coverage=0.4)  # one local day: a map
    for card in (dashboard.stations_panel, dashboard.exposure, dashboard.skill):  # their plots, once opened
        card.open = True
    issues = check_integrity(root.references())
    assert [i.code for i in issues.warning + issues.error] == []
    assert root.select({"css_classes": ["exposure-map"]}) and root.select({"css_classes": ["target-diagram"]})


def test_every_projection_draws_and_taps_come_back_in_lon_lat():
    c = make(dataset="sample-real", methods=["bicubic-linear"])
    c.run()
    maps = MapGrid(comparison=c)
    for name in PROJECTIONS:
        maps.projection = name
        assert maps.images and maps._pane.object is not None
        x, y = maps._points_plane([148.0], [-35.0])
        lon, lat = maps.to_lonlat(x[0], y[0])
        assert (lon, lat) == pytest.approx((148.0, -35.0), abs=1e-6), name
        frame = maps.images[0][()]
        assert np.isfinite(frame.data["pm25"]).any()
    maps.projection = PLATE_CARREE


def test_across_the_antimeridian_the_axis_reads_170_w():
    c = make(dataset="sample-real", region="Pacific (across 180)", methods=["bilinear-linear"])
    c.run()
    maps = MapGrid(comparison=c)
    assert maps._central() == 180.0
    code = lon_formatter(180.0).code
    assert "tick + 180.0 + 540" in code  # x = 10 -> lon 190 -> "170°W"
    assert ((10 + 180 + 540) % 360) - 180 == -170
    lon, _ = maps.to_lonlat(10.0, 0.0)
    assert lon == pytest.approx(190.0)  # on the field's own axis (150..210)


def test_the_hour_player_runs_at_four_frames_a_second():
    assert 1000 / HOUR_INTERVAL_MS >= 4
    c = make(dataset="sample-real", methods=["bicubic-linear"])
    c.run()
    maps = MapGrid(comparison=c)
    started = time.perf_counter()
    for hour in range(len(c.hours)):
        maps.selection.hour = hour
        for image in maps.images:
            image[()]
    assert (time.perf_counter() - started) / len(c.hours) < HOUR_INTERVAL_MS / 1000


def test_cancel_frees_the_page_within_two_seconds_and_the_bar_moves():
    dashboard = Dashboard(comparison=make(dataset="sample-simulation", region="Global", methods=["deepcams"]))
    seen = []

    async def run_then_cancel():
        task = asyncio.create_task(dashboard._run())
        while not dashboard.running:
            await asyncio.sleep(0.01)
        for _ in range(20):  # the bar is busy (-1) or filling while the run works
            seen.append(dashboard.progress.value)
            await asyncio.sleep(0.05)
        pressed = time.perf_counter()
        dashboard.cancel_button.clicks += 1
        await task
        return time.perf_counter() - pressed

    assert asyncio.run(run_then_cancel()) < 2.0
    assert "cancelled" in dashboard.alert.object and dashboard.comparison.results == {}
    assert seen and all(v == -1 or v > 0 for v in seen) and dashboard.progress.visible is False


def test_truth_keeps_its_place_with_three_methods():
    c = make(dataset="sample-simulation", methods=["bicubic-linear", "bilinear-linear", "nearest-nearest"])
    c.run()
    maps = MapGrid(comparison=c)
    assert [p.field for p in maps.panels()][:2] == ["CAMS input", TRUTH]
    assert maps.title(maps.panels()[0]) == "coarsened GEOS-CF input"


def test_maps_laid_out_as_the_last_go_into_the_figures_on_the_page():
    """Previews of one region, then another (the same maps: input and truth): the page keeps its figures,
    and they now hold what new ones would (pixels, corners, ranges, frame, colours, titles, coastlines,
    longitude labels); a run (more maps) and a new colormap build new figures."""
    comparison = make(dataset="demo-simulation", region="Europe", methods=["bicubic-linear"])
    maps = MapGrid(comparison=comparison)
    root = pn.Row(maps).get_root(Document())
    figures = list(root.select({"type": Plot}))
    assert len(figures) == 2  # the preview: input and truth
    comparison.region = "Pacific (across 180)"
    assert list(root.select({"type": Plot})) == figures  # the same Bokeh models, written in place
    fresh = MapGrid(comparison=comparison)
    pn.Row(fresh).get_root(Document())
    assert maps.panels() == fresh.panels()
    for panel in maps.panels():
        kept, built = maps._fixed[panel].plots[0], fresh._fixed[panel].plots[0]
        old, new = kept.handles["source"].data, built.handles["source"].data
        np.testing.assert_array_equal(old["image"][0], new["image"][0])
        for key in ("x", "y", "dw", "dh"):
            assert old[key][0] == pytest.approx(new[key][0], abs=1e-9), key
        for name in ("low", "high"):
            assert getattr(kept.handles["color_mapper"], name) == getattr(built.handles["color_mapper"], name)
        a, b = kept.state, built.state
        assert a.title.text == b.title.text and a.frame_height == b.frame_height
        assert (a.x_range.start, a.x_range.end, a.y_range.start, a.y_range.end) == pytest.approx(
            (b.x_range.start, b.x_range.end, b.y_range.start, b.y_range.end)
        )
        assert a.xaxis[0].formatter.code == b.xaxis[0].formatter.code
    np.testing.assert_array_equal(maps._line_sources[0].data["x"], fresh._line_sources[0].data["x"])
    comparison.run()
    assert len(list(root.select({"type": Plot}))) > 2
    figures = list(root.select({"type": Plot}))
    maps.cmap = "viridis"
    assert not set(root.select({"type": Plot})) & set(figures)


def test_a_preview_after_a_run_keeps_the_runs_maps_and_the_next_run_fills_them():
    """A new region after a run: input and truth go into the run's figures, the method's maps stay on the
    page blank (titled to press Run), and the next run of the same methods writes into those figures what
    new ones would hold; ticking another method lays out new figures."""
    comparison = make(dataset="demo-simulation", region="Europe", methods=["bicubic-linear"])
    maps = MapGrid(comparison=comparison)
    root = pn.Row(maps).get_root(Document())
    comparison.run()
    figures = list(root.select({"type": Plot}))
    assert len(figures) == 4  # input, truth, the method, its difference
    comparison.region = "East Asia"
    assert list(root.select({"type": Plot})) == figures
    method_maps = [p for p in maps._layout[0] if p.field == "bicubic-linear"]
    for panel in method_maps:
        plot = maps._fixed[panel].plots[0]
        assert plot.state.title.text.endswith(": press Run")
        assert np.isnan(plot.handles["source"].data["image"][0]).all()
    maps.selection.hour = 1  # the hour player skips the blank maps
    comparison.run()
    assert list(root.select({"type": Plot})) == figures
    fresh = MapGrid(comparison=comparison, selection=maps.selection)
    pn.Row(fresh).get_root(Document())
    assert maps.panels() == fresh.panels() == list(maps._layout[0])
    for panel in maps.panels():
        kept, built = maps._fixed[panel].plots[0], fresh._fixed[panel].plots[0]
        np.testing.assert_array_equal(
            kept.handles["source"].data["image"][0], built.handles["source"].data["image"][0]
        )
        assert kept.state.title.text == built.state.title.text
        for name in ("low", "high"):
            assert getattr(kept.handles["color_mapper"], name) == getattr(built.handles["color_mapper"], name)
    comparison.region = "Europe"
    comparison.methods = ["bicubic-linear", "bilinear-linear"]  # no blank map of the old methods stays
    assert len(list(root.select({"type": Plot}))) == 2
    comparison.run()
    assert not set(root.select({"type": Plot})) & set(figures)


def chart_figure(chart: SeriesChart) -> Plot:
    return chart.chart().get_root(Document()).select_one({"type": Plot})


def test_a_tap_or_a_run_of_the_same_methods_redraws_the_series_in_its_figure():
    """The series chart keeps its figure for a new point and for a run of the same methods elsewhere, and
    that figure then holds what a new chart would (each glyph's data, both ranges); other methods get a
    new figure."""
    comparison = make(dataset="demo-simulation", region="Europe", methods=["bicubic-linear"])
    comparison.run()
    chart = SeriesChart(comparison=comparison)
    root = pn.Row(chart).get_root(Document())
    figure = root.select_one({"type": Plot})

    def same_as_a_new_chart() -> None:
        assert root.select_one({"type": Plot}) is figure
        fresh = chart_figure(SeriesChart(comparison=comparison, selection=chart.selection))
        assert len(figure.renderers) == len(fresh.renderers)
        for kept, built in zip(figure.renderers, fresh.renderers, strict=True):
            for column in built.data_source.data:
                np.testing.assert_array_equal(kept.data_source.data[column], built.data_source.data[column])
        for axis in ("x_range", "y_range"):
            kept, built = getattr(figure, axis), getattr(fresh, axis)
            assert (kept.start, kept.end) == (built.start, built.end), axis

    before = figure.renderers[-1].data_source.data["pm25"].copy()
    chart.selection.point = (5.0, 50.0)
    assert not np.array_equal(figure.renderers[-1].data_source.data["pm25"], before)
    same_as_a_new_chart()
    comparison.region = "East Asia"  # the preview: the method's curve stays, empty, until the run
    chart.selection.point = (120.0, 35.0)
    assert root.select_one({"type": Plot}) is figure
    assert [len(r.data_source.data["time"]) for r in figure.renderers] == [9, 0, 25]
    comparison.run()
    same_as_a_new_chart()
    hour = chart._hour_lines[0].location
    starts = list(comparison.param.start.objects)  # the next day: the hour marker moves with it
    comparison.param.update(start=starts[8], end=starts[16])
    comparison.run()
    same_as_a_new_chart()
    assert chart._hour_lines[0].location == chart.hour_location() == hour + 24 * 3600e3
    comparison.methods = ["bicubic-linear", "bilinear-linear"]
    comparison.run()
    assert root.select_one({"type": Plot}) is not figure


def test_a_dataset_switch_previews_into_a_chart_its_run_draws_into():
    """Another dataset's labels need a new chart at its preview: that chart already holds the ticked
    methods' curves, empty, so the run draws into it rather than building one more (the first run after a
    switch was 0.3 s slower on the server)."""
    comparison = make(dataset="sample-simulation", methods=["bicubic-linear"])
    chart = SeriesChart(comparison=comparison)
    chart.selection.point = (75.0, 20.0)
    comparison.run()
    root = pn.Row(chart).get_root(Document())
    comparison.dataset = "demo-simulation"  # its preview: synthetic input and truth, another legend
    comparison.region = "Europe"
    chart.selection.point = (5.0, 50.0)
    figure = root.select_one({"type": Plot})
    assert [len(r.data_source.data["time"]) for r in figure.renderers] == [9, 0, 25]
    comparison.run()
    assert root.select_one({"type": Plot}) is figure
    assert [len(r.data_source.data["time"]) for r in figure.renderers] == [9, 25, 25]


def test_a_run_uses_the_input_and_truth_its_preview_read():
    """The preview's cut of the input and truth serves the run of the same request (read once); another
    box or day reads its own."""
    comparison = make(dataset="demo-simulation", region="Europe", methods=["bicubic-linear"])
    shown = dict(comparison.fields)
    request = comparison.current_request()
    fields, metrics, _ = comparison.outcome(request, comparison.compute(request))
    assert fields[INPUT] is shown[INPUT] and fields[TRUTH] is shown[TRUTH]
    assert metrics.loc["bicubic-linear", "n"] == shown[TRUTH].size
    comparison.region = "East Asia"
    assert comparison.fields[TRUTH] is not shown[TRUTH]
    assert float(comparison.fields[TRUTH]["lon"].min()) >= 100.0
