"""The dashboard's state classes: params change -> the right library calls, the cache, errors, exports."""

from __future__ import annotations

import asyncio
import gc
import html
import io
import os
import threading
import time
import tracemalloc
import weakref

import bokeh.plotting
import numpy as np
import pandas as pd
import panel as pn
import pytest
import xarray as xr
from bokeh.document import Document
from bokeh.models import Span

import deepcams
from deepcams.dashboard import Comparison, Dashboard
from deepcams.dashboard import comparison as comparison_module
from deepcams.dashboard import dashboard as dashboard_module
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.coastlines import lines
from deepcams.dashboard.comparison import (
    IN_SAMPLE,
    INPUT,
    TRUTH,
    Cancelled,
    chunks_read_bytes,
    estimate_peak_bytes,
)
from deepcams.dashboard.export import MapFrame, Snapshot, netcdf_bytes, png_bytes
from deepcams.dashboard.maps import MapGrid, MapPanel, frame_at
from deepcams.dashboard.messages import as_html, as_markdown, relative_paths
from deepcams.dashboard.overview import box_rectangles
from deepcams.dashboard.regions import CUSTOM, PRESETS
from deepcams.dashboard.runs import RunQueue
from deepcams.dashboard.selection import Selection
from deepcams.dashboard.series import MetricsTable, SeriesChart, best_rows
from deepcams.errors import DeepcamsError
from deepcams.io.providers import to_cams_netcdf, to_geoscf_netcdf
from deepcams.models.checkpoint import read_metadata
from deepcams.models.inference import default_weights
from deepcams.pipeline import (
    downscale,  # the real one: the `calls` fixture spies on deepcams.downscale
    estimate_output_bytes,
)
from deepcams.sources import catalog, parse_app_args, user_sources
from deepcams.sources.catalog import HELD_OUT


@pytest.fixture
def calls(monkeypatch):
    """Every deepcams.downscale call the dashboard makes, as (method name, kwargs); the real work still runs."""
    seen = []
    real = deepcams.downscale

    def spy(cams, method, **kwargs):
        seen.append((method.name, kwargs))
        return real(cams, method, **kwargs)

    monkeypatch.setattr(comparison_module.deepcams, "downscale", spy)
    return seen


def make(**params) -> Comparison:
    return Comparison(cache=ResultCache(), **params)


def test_the_demo_world_is_a_region_day_labelled_synthetic():
    c = make(dataset="demo", region="Europe", methods=["bicubic-linear"])
    assert (c.start, c.end) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02"))
    c.run()
    assert c.fields["bicubic-linear"].sizes["time"] == 25 and TRUTH in c.fields
    assert c.metrics.loc["bicubic-linear", "n"] > 0 and c.metrics.loc["bicubic-linear", "r"] > 0.5
    assert (c.label(INPUT), c.label(TRUTH)) == ("synthetic input", "synthetic truth")
    assert "errors" in c.caption() and "synthetic" in c.results["bicubic-linear"].attrs["source"]
    assert "generator" in c.results["bicubic-linear"].attrs["generator"]  # the generator's note is kept
    c.dataset = "demo-simulation"  # input = coarsened truth: this measures downscaling
    assert "measures downscaling" in c.caption() and "CAMS" not in c.label(INPUT)


def test_the_page_opens_on_deepcams_against_bicubic_on_the_held_out_band():
    c = make()
    assert c.dataset == "sample-simulation" and c.region == HELD_OUT
    assert c.methods == ["deepcams", "bicubic-linear"]
    training = read_metadata(default_weights("ssr"))["training"]
    assert (c.west, c.east) == (training["val_band"][0] + 7, training["val_band"][1] - 7)
    c.run()
    m = c.metrics
    assert m.loc["deepcams", "rmse"] < m.loc["bicubic-linear", "rmse"]
    assert m.loc["deepcams", "mae"] < m.loc["bicubic-linear", "mae"]
    assert m.loc["deepcams", IN_SAMPLE] == 0 and np.isnan(m.loc["bicubic-linear", IN_SAMPLE])
    assert m["n"].nunique() == 1  # every method on the common pixels
    html = MetricsTable(comparison=c).table().object
    assert "held-out pixels" in html and "in-sample" not in html
    c.region = "South Asia"  # inside a band the shipped weights trained on
    c.run()
    assert c.metrics.loc["deepcams", IN_SAMPLE] == 1.0
    assert "in-sample: all pixels" in MetricsTable(comparison=c).table().object


def test_preset_sets_box_and_editing_box_makes_it_custom():
    c = make(dataset="sample-real")
    assert c.region == "SE Australia"
    c.region = "Pacific (across 180)"
    assert (c.west, c.south, c.east, c.north) == (150.0, -30.0, -150.0, 30.0)
    c.west = 155.0
    assert c.region == CUSTOM
    c.set_box(10.1, 20.2, 30.3, 40.4)
    assert (c.west, c.south, c.east, c.north) == (10.0, 20.25, 30.25, 40.5)


def test_run_calls_downscale_with_the_request_and_caches(calls):
    c = make(dataset="sample-real", methods=["bicubic-linear", "nearest-nearest"])
    results = c.run()
    assert [name for name, _ in calls] == ["bicubic-linear", "nearest-nearest"]
    kwargs = calls[0][1]
    assert str(kwargs["bbox"]) == str(PRESETS["SE Australia"])
    assert kwargs["start"] == c.start and kwargs["end"] == c.end
    assert kwargs["allow_nan"] is False
    direct = downscale(deepcams.open_sample_cams(), "bicubic-linear", bbox=PRESETS["SE Australia"])
    xr.testing.assert_allclose(results["bicubic-linear"]["pm25"], direct["pm25"])
    assert list(c.fields) == [INPUT, "bicubic-linear", "nearest-nearest"]
    assert c.metrics is None  # the real CAMS sample has no truth

    c.run()  # same request: both from the cache
    assert len(calls) == 2 and c.cache.hits == 2
    c.methods = ["bicubic-linear", "bilinear-linear"]
    c.run()  # only the new method runs
    assert [name for name, _ in calls[2:]] == ["bilinear-linear"]
    c.region = "East Asia"
    c.run()  # a new region runs again
    assert len(calls) == 5 and str(calls[-1][1]["bbox"]) == str(PRESETS["East Asia"])


def test_simulation_mode_has_truth_metrics_and_differences(calls):
    c = make(dataset="sample-simulation", methods=["bicubic-linear", "nearest-nearest"])
    c.run()
    assert calls[0][1]["allow_nan"] is True  # held-back bands stay NaN
    assert TRUTH in c.fields
    truth = deepcams.select_region(deepcams.open_sample_geoscf(), c.bbox)
    expected = deepcams.compare(c.results, truth)
    pd.testing.assert_frame_equal(c.metrics.drop(columns=IN_SAMPLE), expected)
    assert c.metrics.loc["bicubic-linear", "mae"] < c.metrics.loc["nearest-nearest", "mae"]
    assert best_rows(c.metrics)["mae"] == "bicubic-linear"
    maps = MapGrid(comparison=c)
    assert [panel.title for panel in maps.panels()][-2:] == [
        "bicubic-linear - truth",
        "nearest-nearest - truth",
    ]
    hour = c.hours[1]
    diff = maps.frame(MapPanel("bicubic-linear", difference=True), hour)
    np.testing.assert_allclose(
        diff,
        c.fields["bicubic-linear"].sel(time=hour).values - c.fields[TRUTH].sel(time=hour).values,
    )


def test_pacific_box_crosses_the_antimeridian():
    c = make(dataset="sample-real", region="Pacific (across 180)", methods=["bilinear-linear"])
    out = c.run()["bilinear-linear"]
    lon = out["lon"].values
    assert lon[0] == 150.0 and lon[-1] == 210.0 and np.all(np.diff(lon) > 0)
    coast = lines("coastline", "110m", 150, 210, -30, 30)
    assert np.nanmax(coast[:, 0]) > 180  # coastlines shifted to follow the map
    assert box_rectangles(150, -30, -150, 30) == [(150, -30, 180.0, 30), (-180.0, -30, -150, 30)]


def test_bad_requests_are_one_line_errors_and_nothing_runs(calls):
    c = make(dataset="sample-real")
    c.south = 80.0  # above north
    assert "south" in c.problem
    with pytest.raises(DeepcamsError, match="empty bbox"):
        c.current_request()
    c.region = "Europe"
    c.param.update(
        start=c.param.start.objects["2020-01-01 00:00"], end=c.param.end.objects["2019-12-31 15:00"]
    )
    with pytest.raises(DeepcamsError, match="after"):
        c.current_request()
    c.param.update(start=c.param.start.objects["2019-12-31 15:00"], region="Global", max_request_bytes=10**6)
    with pytest.raises(DeepcamsError, match="request too large"):
        c.current_request()
    c.methods = []
    with pytest.raises(DeepcamsError, match="at least one method"):
        c.current_request()
    assert calls == []


def test_cancel_stops_the_run_and_caches_nothing():
    c = make(dataset="sample-real", region="Global", methods=["bicubic-linear"])
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        c.compute(c.current_request(), cancel=cancel)
    assert len(c.cache) == 0


def test_cache_is_bounded_by_bytes():
    cache = ResultCache(max_bytes=3000)
    for k in range(5):
        cache.put(k, xr.Dataset({"x": ("n", np.zeros(250, "float32"))}))  # 1000 bytes each
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) is not None


def test_user_roots_list_readable_data_and_stay_inside(tmp_path):
    root = tmp_path / "root"
    (root / "case").mkdir(parents=True)
    sample = deepcams.open_sample_geoscf()
    to_geoscf_netcdf(sample, root / "case" / "geoscf.nc")
    to_cams_netcdf(deepcams.open_sample_cams(), root / "cams.nc")
    (root / "broken.nc").write_bytes(b"not a netcdf file")
    outside = tmp_path / "outside"
    outside.mkdir()
    to_cams_netcdf(deepcams.open_sample_cams(), outside / "secret.nc")
    os.symlink(outside / "secret.nc", root / "link.nc")
    os.symlink(outside, root / "linkdir")

    assert parse_app_args(["--data", str(root)], {}).roots == (root.resolve(),)
    assert parse_app_args([], {"DEEPCAMS_DATA": f"{root}{os.pathsep}{outside}"}).roots == (
        root.resolve(),
        outside.resolve(),
    )
    sources = {s.key: s for s in user_sources((root,))}
    top, case = sources["user:0"], sources["user:0/case"]
    assert len(sources) == 2  # the symlinked folder outside the root is not offered
    assert "1 CAMS and 0 GEOS-CF files" in top.description  # the symlinked file is not read
    assert any("broken.nc" in p and "not a NetCDF" in p for p in top.problems)
    cams, truth = case.cams, case.truth  # GEOS-CF alone: the simulation protocol
    assert truth.sizes["time"] == 4 and cams.sizes["time"] == 2
    assert case.key not in catalog()  # the default catalog only knows the built-in datasets
    c = Comparison(roots=(root,), cache=ResultCache(), dataset=case.key, region="South Asia")
    c.run()
    assert c.metrics is not None and c.metrics.loc["bicubic-linear", "mae"] > 0
    with pytest.raises(ValueError):
        c.dataset = str(outside / "secret.nc")  # the page can only pick listed keys


def test_maps_hours_tap_and_series():
    c = make(dataset="sample-real", methods=["bicubic-linear"])
    maps = MapGrid(comparison=c)
    chart = SeriesChart(comparison=c, selection=maps.selection)
    assert len(c.hours) == 4  # before a run: the 3-hourly input
    c.run()
    assert len(c.hours) == 10 and maps.player.end == 9
    hour = c.hours[1]  # 16 UTC: the input shows its 15 UTC frame
    np.testing.assert_array_equal(frame_at(c.fields[INPUT], hour, latest=True), c.fields[INPUT].values[0])
    assert np.isnan(frame_at(c.fields[INPUT], hour)).all()
    before = chart.series()
    maps._tapped(148.0, -35.0)  # a tap on any map
    after = chart.series()
    assert set(after) == {INPUT, "bicubic-linear"}
    assert len(after["bicubic-linear"]) == 10 and len(after[INPUT]) == 4
    expected = c.fields["bicubic-linear"].sel(lon=148.0, lat=-35.0).values
    np.testing.assert_allclose(after["bicubic-linear"].values, expected)
    assert not np.allclose(before["bicubic-linear"].values, after["bicubic-linear"].values)
    assert after["bicubic-linear"].max() > 100  # the Black Summer fires, never clipped
    assert "35.00°S, 148.00°E" in chart.title().object


def test_exports_round_trip(tmp_path):
    c = make(dataset="sample-simulation", region="South Asia", methods=["bicubic-linear"])
    c.run()
    data = netcdf_bytes(c.results["bicubic-linear"]).getvalue()
    (tmp_path / "out.nc").write_bytes(data)
    back = deepcams.open_dataset(tmp_path / "out.nc").load()
    xr.testing.assert_allclose(back["pm25"], c.results["bicubic-linear"]["pm25"])
    dashboard = Dashboard(comparison=c)
    dashboard.selection.hour = 1
    png = dashboard._png().getvalue()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert dashboard.maps.snapshot().x_range == (60.0, 100.0)
    png_plain = png_bytes(
        Snapshot(
            title="t",
            frames=(MapFrame("x", np.arange(3.0), np.arange(2.0), np.ones((2, 3))),),
            clim=(0.1, 10.0),
            log=True,
            cmap="viridis",
            diff_limit=1.0,
            x_range=(0, 2),
            y_range=(0, 1),
        )
    )
    assert isinstance(png_plain, io.BytesIO)


def test_the_shared_selection_drives_the_views():
    c = make(dataset="sample-simulation", region="South Asia", methods=["bicubic-linear"])
    c.run()
    selection = Selection()
    maps = MapGrid(comparison=c, selection=selection)
    chart = SeriesChart(comparison=c, selection=selection)
    page = pn.Column(maps, chart).get_root(Document())  # the page's models: an hour change writes into them
    root = page.children[0]
    (line,) = [s for s in page.select({"type": Span}) if "deepcams-hour" in s.tags]  # the series' hour marker
    selection.hour = 2
    hour = c.hours[2]
    assert maps.player.value == 2 and f"{hour:%Y-%m-%d %H:%M}" in maps.label.object
    assert line.location == pd.Timestamp(hour).value / 1e6 == chart.hour_location()
    (figure,) = [f for f in root.select({"type": bokeh.plotting.figure}) if f.title.text == "bicubic-linear"]
    (pixels,) = [r.data_source.data["image"][0] for r in figure.renderers if "image" in r.data_source.data]
    np.testing.assert_array_equal(pixels, c.fields["bicubic-linear"].sel(time=hour))
    maps.player.value = 3  # the player moves the selection
    assert selection.hour == 3 and line.location == pd.Timestamp(c.hours[3]).value / 1e6
    selection.point = (80.0, 25.0)  # what a tap does
    assert "25.00°N, 80.00°E" in chart.title().object
    maps._ranged((70.0, 90.0), (10.0, 30.0))  # a pan or zoom of the maps
    assert (selection.x_range, selection.y_range) == ((70.0, 90.0), (10.0, 30.0))
    shot = maps.snapshot()
    assert shot.x_range == (70.0, 90.0) and shot.title.startswith(f"PM2.5 {c.hours[3]:%Y-%m-%d %H:%M} UTC")
    assert [frame.title for frame in shot.frames] == [maps.title(p) for p in maps.panels()]
    assert [frame.difference for frame in shot.frames] == [False, False, False, True]
    assert shot.clim == maps.clim() and shot.diff_limit == maps.diff_limit() > 0
    assert png_bytes(shot).getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    c.end = c.start  # new fields: the maps start again at the whole region, at an hour they have
    # the whole region again (None, or the whole region as the drawn maps report it)
    assert selection.x_range in (None, (60.0, 100.0)) and selection.y_range in (None, (5.0, 35.0))
    assert selection.hour == len(c.hours) - 1 == maps.player.end == 0


def test_dashboard_run_off_the_loop_and_errors_visible():
    dashboard = Dashboard(comparison=make(dataset="sample-real", methods=["bicubic-linear"]))
    asyncio.run(dashboard._run())
    assert "bicubic-linear" in dashboard.comparison.results
    assert dashboard.netcdf.filename.startswith("pm25_bicubic-linear_20191231T15")
    assert not dashboard.netcdf.disabled and not dashboard.alert.visible
    dashboard.comparison.param.update(region="Global", max_request_bytes=1000)
    asyncio.run(dashboard._run())
    assert dashboard.alert.visible and "request too large" in dashboard.alert.object
    dashboard.comparison.max_request_bytes = 10**9
    dashboard.comparison.north = -90.0  # not above south: shown at once
    assert "empty bbox" in dashboard.alert.object


def test_missing_weights_are_a_visible_message(monkeypatch):
    from deepcams.methods import registry

    def unavailable(**options):
        raise DeepcamsError(
            "no tsr weights at /nowhere/tsr.safetensors (train them with `deepcams train tsr`)"
        )

    monkeypatch.setattr(registry, "_LEARNED", dict(registry._LEARNED))  # registered for this test only
    registry.register_method("learned-test", unavailable, options=("conserve", "device"))
    comparison_module.method_for.cache_clear()
    dashboard = Dashboard(comparison=make(dataset="sample-real", methods=["bicubic-linear"]))
    dashboard.comparison.methods = ["learned-test", "bicubic-linear"]
    assert dashboard.alert.visible and "no tsr weights" in dashboard.alert.object
    dashboard.alert.visible = False
    asyncio.run(dashboard._run())
    assert dashboard.alert.visible and "no tsr weights" in dashboard.alert.object
    assert dashboard.comparison.results == {} and not dashboard.running


def test_cancel_button_stops_a_running_run():
    dashboard = Dashboard(comparison=make(dataset="sample-real", region="Global", methods=["bicubic-pchip"]))

    async def run_then_cancel():
        task = asyncio.create_task(dashboard._run())
        while not dashboard.running:
            await asyncio.sleep(0.005)
        assert not dashboard.cancel_button.disabled and dashboard.run_button.disabled
        dashboard.cancel_button.clicks += 1  # what the page's Cancel does
        await task

    asyncio.run(run_then_cancel())
    assert "cancelled" in dashboard.alert.object
    assert dashboard.comparison.results == {} and len(dashboard.comparison.cache) == 0
    assert not dashboard.running and not dashboard.run_button.disabled


def test_a_folder_of_unreadable_files_is_a_message_not_a_crash(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "empty.nc").write_bytes(b"")
    dashboard = Dashboard(roots=(tmp_path,))
    dashboard.comparison.cache = ResultCache()
    key = "user:0/bad"
    dashboard.comparison.dataset = key
    assert "no readable CAMS or GEOS-CF file" in dashboard.alert.object
    assert dashboard.overview._pane.object is None
    dashboard.comparison.param.update(dataset="sample-real", methods=["nearest-nearest"])
    dashboard.comparison.run()  # still usable
    assert "nearest-nearest" in dashboard.comparison.results


HOSTILE = "<img src=x onerror=alert(1)>"


class Toasts:
    """What the page's notifications would show (they render HTML)."""

    def __init__(self):
        self.shown: list[str] = []

    def error(self, message, duration):
        self.shown.append(message)

    info = error


def rendered(pane) -> str:
    """The HTML a Markdown pane sends to the browser."""
    return html.unescape(pane._transform_object(pane.object)["object"])


def test_messages_are_text_and_paths_relative_to_their_root(tmp_path):
    root = tmp_path / "root"
    text = f"cannot read {root}/{HOSTILE}/x.nc: units '<script>alert(1)</script>' [a](javascript:x) *b*"
    markdown = pn.pane.Markdown(as_markdown(text, (root,)))
    assert str(tmp_path) not in markdown.object and f"{HOSTILE}/x.nc" in relative_paths(text, (root,))
    assert "<img" not in rendered(markdown) and "<script" not in rendered(markdown)
    assert "<a " not in rendered(markdown) and "<em>" not in rendered(markdown)
    assert "&lt;img src=x onerror=alert(1)&gt;/x.nc" in rendered(markdown)
    assert "<" not in as_html(text, (root,)) and "&lt;script&gt;" in as_html(text, (root,))
    assert relative_paths("no weights at /opt/deepcams/data/tsr.safetensors (train them)") == (
        "no weights at tsr.safetensors (train them)"
    )
    assert (
        relative_paths("5 ug/m3 from 2024-03-01 at 60,5,100,35") == "5 ug/m3 from 2024-03-01 at 60,5,100,35"
    )


def test_hostile_names_and_units_in_a_data_root_show_as_text(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / HOSTILE).mkdir(parents=True)
    raw = xr.open_dataset(to_cams_netcdf(deepcams.open_sample_cams(), tmp_path / "cams.nc")).load()
    raw["pm2p5"].attrs["units"] = "<script>alert(1)</script>"
    raw.to_netcdf(root / HOSTILE / "<b>x<i>.nc")
    toasts = Toasts()
    monkeypatch.setattr(type(pn.state), "notifications", property(lambda state: toasts))
    dashboard = Dashboard(roots=(root,))
    dashboard.comparison.dataset = f"user:0/{HOSTILE}"
    assert "unknown units" in dashboard.alert.object and toasts.shown
    for shown in (rendered(dashboard.alert), *toasts.shown, dashboard.widgets["dataset"].description):
        assert "<img" not in shown and "<script" not in shown and "<b>" not in shown
        assert str(tmp_path) not in shown
    assert "&lt;b&gt;x&lt;i&gt;.nc" in toasts.shown[-1]


def test_a_run_stays_under_the_peak_memory_it_was_admitted_by():
    c = make(dataset="demo", region="Europe", methods=["bicubic-linear", "nearest-nearest"], preview=False)
    request = c.current_request()
    output = estimate_output_bytes(c.source.cams, request.bbox, request.start, request.end)
    read = chunks_read_bytes(c.source.truth["pm25"], request.start, request.end)  # two days of the globe
    assert read == 48 * 721 * 1440 * 4
    gc.collect()
    tracemalloc.start()
    try:
        c.outcome(request, c.compute(request))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 10 * 2 * output < peak <= estimate_peak_bytes(output, 2, read)  # far more than the output bytes
    c.param.update(region="Global", end=c.param.end.objects["2024-03-02 00:00"], methods=["bicubic-linear"])
    c.current_request()  # a global day of one method is admitted
    c.param.update(
        end=c.param.end.objects["2024-03-04 00:00"],
        methods=["bicubic-linear", "bilinear-linear", "nearest-nearest", "bicubic-pchip"],
    )
    with pytest.raises(DeepcamsError, match="request too large: about .* GiB of memory at its peak"):
        c.current_request()  # 1.2 GiB of output, about 9 GiB at its peak: refused before any work


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_runs_wait_in_line_show_their_place_and_may_leave_it(monkeypatch):
    queue, gate = RunQueue(workers=1), threading.Event()
    first = queue.submit(gate.wait)
    wait_for(lambda: queue.place(first) == 0)
    second, third = queue.submit(lambda: 2), queue.submit(lambda: 3)
    assert (queue.place(second), queue.place(third)) == (1, 2)
    assert second.cancel() and queue.place(third) == 1  # a waiting run leaves the line
    gate.set()
    assert third.result(timeout=30) == 3 and queue.place(third) == 0 and second.cancelled()

    gate.clear()
    blocker = queue.submit(gate.wait)
    monkeypatch.setattr(dashboard_module, "RUNS", queue)
    dashboard = Dashboard(comparison=make(dataset="sample-real", methods=["nearest-nearest"]))

    async def queued_run():
        task = asyncio.create_task(dashboard._run())
        while not dashboard.status_line.object.startswith("Queued"):
            await asyncio.sleep(0.01)
        assert "place 1 in line" in dashboard.status_line.object and dashboard.progress.value == -1
        assert not dashboard.cancel_button.disabled  # a waiting run can be cancelled too
        gate.set()
        await task

    asyncio.run(queued_run())
    assert blocker.done() and dashboard.status_line.object.startswith("Ran nearest-nearest")


def test_a_closed_page_cancels_its_run_and_shows_nothing_more():
    dashboard = Dashboard(comparison=make(dataset="sample-real", region="Global", methods=["bicubic-pchip"]))
    steps = []
    compute = dashboard.comparison.compute

    def counted(request, on_progress=None, cancel=None):
        return compute(request, lambda f: steps.append(f) or on_progress(f), cancel)

    dashboard.comparison.compute = counted

    async def run_then_close():
        task = asyncio.create_task(dashboard._run())
        while not steps:
            await asyncio.sleep(0.005)
        dashboard.close()  # what the session's end does (`deepcams.dashboard.app.page`)
        await task

    asyncio.run(run_then_close())
    assert dashboard.comparison.results == {} and len(dashboard.comparison.cache) == 0
    assert not dashboard.alert.visible and not dashboard.running
    done = len(steps)
    time.sleep(1.0)
    assert len(steps) == done < 10  # the worker stopped at its next step


def test_the_first_page_freezes_the_startup_objects_and_runs_still_free_theirs(monkeypatch):
    """`gc.freeze` before the first page: a run's full collection skips the libraries' objects, and what
    is made later (a page, a run's cycles) is still collected."""
    from deepcams.dashboard import app as app_module
    from deepcams.dashboard import runs as runs_module

    gc.unfreeze()
    monkeypatch.setattr(runs_module, "_FROZEN", False)
    try:
        app_module.page(parse_app_args([]))
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # numpy, xarray, torch, bokeh, panel, holoviews: far more than this
        app_module.page(parse_app_args([]))
        assert gc.get_freeze_count() <= frozen  # once a process: later pages stay collectable

        class Node:
            pass

        cycle = Node()
        cycle.self, cycle.data = cycle, np.ones(1000)
        freed = []
        weakref.finalize(cycle, freed.append, True)
        del cycle
        runs_module.release_memory()
        assert freed == [True]
    finally:
        gc.unfreeze()
