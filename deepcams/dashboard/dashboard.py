"""The dashboard: controls, Run/Cancel with progress, linked maps, time series, metrics and exports.

Composes the components of this package around one `Comparison` (the request and its results) and one
`Selection` (the hour, point and view the views share). Runs wait in a process-wide queue
(`deepcams.dashboard.runs`, the page shows their place) and the page polls their progress from the event
loop, so other sessions and the page stay responsive; Cancel, or the page closing (`close`), frees it at
once (the worker stops at its next step and its result is dropped). The page opens on a comparison
(`start`). Every problem becomes a one-line notification (and the status line), shown as text
(`deepcams.dashboard.messages`); the page never shows a traceback.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import NamedTuple

import panel as pn
import param

from deepcams.dashboard import coastlines
from deepcams.dashboard.comparison import Cancelled, Comparison, Request
from deepcams.dashboard.ensemble_view import EnsembleView
from deepcams.dashboard.export import gif_bytes, netcdf_bytes, png_bytes
from deepcams.dashboard.exposure_view import ExposureView
from deepcams.dashboard.maps import MapGrid
from deepcams.dashboard.messages import as_html, as_markdown
from deepcams.dashboard.overview import Overview
from deepcams.dashboard.runs import RunQueue
from deepcams.dashboard.selection import Selection
from deepcams.dashboard.series import MetricsTable, SeriesChart
from deepcams.dashboard.skill_view import SkillView
from deepcams.dashboard.stations_panel import StationsPanel
from deepcams.errors import DeepcamsError

log = logging.getLogger(__name__)
# two workers: the machines this runs on have few cores; further runs wait in line (the page shows its place)
RUNS = RunQueue(workers=2)
DOWNSCALE_SHARE = 0.8
BOX_WIDTH = 290  # the sidebar's widgets: two side by side fit the template's 340 px sidebar
POLL_SECONDS = 0.1  # how often the page looks at a running run's progress and the Cancel button


class _Pending(NamedTuple):
    """A run in the server's queue, and what the page needs to follow it."""

    request: Request
    queued: Future
    cancel: threading.Event
    fraction: list  # [share done], written by the worker, None until its first step
    began: float


class Dashboard(pn.viewable.Viewer):
    """The whole comparison app; `controls()` and `main()` fill a template's sidebar and main area."""

    comparison = param.ClassSelector(class_=Comparison)
    selection = param.ClassSelector(class_=Selection, doc="Shared by the maps, the series and the exports")
    running = param.Boolean(False)
    export_method = param.Selector(objects=[], label="Result to export")

    def __init__(
        self, roots: tuple[Path, ...] = (), stations: tuple[Path, ...] = (), preview: bool = True, **params
    ):
        """`preview=False`: no maps until the first run (the served page runs at once, `start`)."""
        params.setdefault("comparison", Comparison(roots=roots, station_files=stations, preview=preview))
        params.setdefault("selection", Selection())
        super().__init__(**params)
        # one model-graph walk of the page for all the views a change replaces, not one a view (as `_show`)
        self.comparison.hold_page = partial(pn.io.hold, freeze=True)
        self.maps = MapGrid(comparison=self.comparison, selection=self.selection)
        self.series = SeriesChart(comparison=self.comparison, selection=self.selection)
        self.metrics = MetricsTable(comparison=self.comparison)
        self.overview = Overview(comparison=self.comparison)
        self.stations_panel = StationsPanel(
            comparison=self.comparison, selection=self.selection
        )  # collapsed: each works once opened
        self.exposure = ExposureView(comparison=self.comparison)
        self.skill = SkillView(comparison=self.comparison)
        self.ensemble = EnsembleView(comparison=self.comparison, selection=self.selection)
        self._cancel = threading.Event()
        self._closed = False
        c = self.comparison
        self.run_button = pn.widgets.Button(label="Run", color="primary", width=110, css_classes=["run"])
        self.cancel_button = pn.widgets.Button(
            label="Cancel", color="warning", width=110, disabled=True, css_classes=["cancel"]
        )
        self.run_button.on_click(self._run)
        self.cancel_button.on_click(lambda event: self._cancel.set())
        self.progress = pn.indicators.Progress(
            css_classes=["run-progress"], value=0, max=100, width=240, visible=False
        )
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["status-alert"])
        self.status_line = pn.pane.Markdown("", css_classes=["status-line"])
        self.caption = pn.pane.Markdown("", css_classes=["caption"], margin=(0, 10))
        self.availability = pn.pane.Markdown("", css_classes=["availability"])
        self.method_info = pn.pane.Markdown("", css_classes=["method-info"])
        self.stations_info = pn.pane.Markdown("", css_classes=["stations-info"])
        self.netcdf = pn.widgets.FileDownload(
            callback=self._netcdf,
            filename="deepcams.nc",
            css_classes=["export-netcdf"],
            label="NetCDF of the result",
            color="success",
            disabled=True,
            width=240,
        )
        self.png = pn.widgets.FileDownload(
            callback=self._png,
            filename="deepcams-view.png",
            css_classes=["export-png"],
            label="PNG of the current view",
            width=240,
        )
        self.gif = pn.widgets.FileDownload(
            callback=self._gif,
            filename="deepcams-hours.gif",
            css_classes=["export-gif"],
            label="GIF of the maps over the hours",
            width=240,
        )
        self.csv = pn.widgets.FileDownload(
            callback=self._csv,
            filename="deepcams-series.csv",
            css_classes=["export-csv"],
            label="CSV of the tapped point's series",
            width=240,
        )
        self.widgets = {
            "dataset": pn.widgets.Select.from_param(
                c.param.dataset, css_classes=["w-dataset"], name="Dataset", width=BOX_WIDTH
            ),
            "region": pn.widgets.Select.from_param(
                c.param.region, css_classes=["w-region"], name="Region", width=BOX_WIDTH
            ),
            **{
                side: pn.widgets.FloatInput.from_param(
                    getattr(c.param, side),
                    css_classes=[f"w-{side}"],
                    name=f"{side[0].upper()} (°)",
                    width=BOX_WIDTH // 2 - 10,
                    step=0.25,
                )
                for side in ("west", "east", "south", "north")
            },
            "start": pn.widgets.Select.from_param(
                c.param.start, css_classes=["w-start"], name="From (UTC)", width=BOX_WIDTH // 2 - 10
            ),
            "end": pn.widgets.Select.from_param(
                c.param.end, css_classes=["w-end"], name="To (UTC)", width=BOX_WIDTH // 2 - 10
            ),
            "methods": pn.widgets.CheckBoxGroup.from_param(
                c.param.methods, css_classes=["w-methods"], name="Methods", inline=False
            ),
            "conserve": pn.widgets.Checkbox.from_param(
                c.param.conserve, css_classes=["w-conserve"], name="DeepCAMS: conserve CAMS cell means"
            ),
            "device": pn.widgets.Select.from_param(
                c.param.device,
                css_classes=["w-device"],
                name="Device for learned models",
                width=BOX_WIDTH,
                description="Where deepcams runs: cpu, or cuda where a GPU is present",
            ),
        }
        self._describe()
        self._request_changed()
        self._problem()
        self._describe_stations()

    # --- messages ------------------------------------------------------------------------------------

    def notify(self, message: str, level: str = "error") -> None:
        """A visible message: a toast where notifications are enabled, and the alert above the maps.

        Shown as text (a file name or attribute may hold HTML), server paths relative to their root."""
        if self._closed:
            return
        roots = self.comparison.roots
        if pn.state.notifications is not None:
            getattr(pn.state.notifications, level)(as_html(message, roots), duration=10000)
        self.alert.param.update(
            object=as_markdown(message, roots),
            alert_type="danger" if level == "error" else "info",
            visible=True,
        )

    @param.depends("comparison.problem", watch=True)
    def _problem(self) -> None:
        if self.comparison.problem:
            self.notify(self.comparison.problem)
        else:
            self.alert.visible = False

    @param.depends(
        "comparison.dataset", "comparison.methods", "comparison.conserve", "comparison.device", watch=True
    )
    def _describe(self) -> None:
        c = self.comparison
        source = c.source
        self.widgets["dataset"].description = as_markdown(source.description or source.label, c.roots)
        try:
            self.availability.object = f"**Available:** {as_markdown(source.availability())}"
            for problem in source.problems:
                self.notify(f"unreadable file skipped: {problem}")
        except DeepcamsError as exc:
            self.notify(str(exc))
            self.availability.object = "**Available:** nothing readable"
        try:
            info = c.method_info()
        except DeepcamsError as exc:
            self.notify(str(exc))
            info = ""
        self.method_info.object = (
            f"**Learned model:** {as_markdown(info, c.roots)}  \n" if info else ""
        ) + f"**Device:** {c.device}"

    @param.depends("comparison.request", "comparison.fields", watch=True)
    def _request_changed(self) -> None:
        """The caption says what is compared; the status line only speaks of the run now shown."""
        c = self.comparison
        try:
            self.caption.object = c.caption()
        except DeepcamsError:
            self.caption.object = ""
        if c.request is None:
            self.status_line.object = ""

    @param.depends(
        "comparison.dataset",
        "comparison.west",
        "comparison.south",
        "comparison.east",
        "comparison.north",
        watch=True,
    )
    def _place_changed(self) -> None:
        """A tapped point belongs to its region: a new dataset or region starts again at its centre."""
        self.selection.point = None

    @param.depends("selection.hour", "comparison.fields", watch=True)
    def _png_name(self) -> None:
        hour = self.selection.time(self.comparison.hours)
        c = self.comparison
        place = c.region if c.region != "Custom" else f"{c.west:g}_{c.south:g}_{c.east:g}_{c.north:g}"
        slug = "".join(ch if ch.isalnum() else "-" for ch in place.lower()).strip("-")
        stamp = "" if hour is None else f"_{hour:%Y%m%dT%H}"
        self.png.filename = f"deepcams_{slug}{stamp}.png"
        self.gif.filename = f"deepcams_{slug}_hours.gif"
        self.csv.filename = f"deepcams_{slug}_series.csv"

    def _describe_stations(self) -> None:
        """What the configured station files hold, kept in the sidebar; unreadable files also notified."""
        stations = self.comparison.stations
        if stations is None:
            return
        roots = self.comparison.roots
        lines = [f"**Stations:** {as_markdown(stations.summary(), roots)}"]
        for problem in stations.problems:
            lines.append(as_markdown(f"unreadable station file: {problem}", roots))
            self.notify(f"unreadable station file: {problem}")
        self.stations_info.object = "  \n".join(lines)

    # --- run -----------------------------------------------------------------------------------------

    def _submit(self) -> _Pending | None:
        """Put the request the controls describe in the server's queue; None (and a notification) if invalid."""
        c = self.comparison
        try:
            request = c.current_request()
            c.method_info()  # loads learned models: missing weights show up here
        except DeepcamsError as exc:
            self.notify(str(exc))
            return None
        self._cancel = cancel = threading.Event()
        fraction = [None]  # None until the first step reports: the bar runs as busy (indeterminate)

        def work():
            # downscaling fills the bar to DOWNSCALE_SHARE; cutting input and truth and scoring do the rest
            results = c.compute(
                request,
                on_progress=lambda f: fraction.__setitem__(0, DOWNSCALE_SHARE * f),
                cancel=cancel,
            )
            return results, c.outcome(request, results)

        return _Pending(request, RUNS.submit(work), cancel, fraction, time.perf_counter())

    async def _run(self, event=None) -> None:
        pending = self._submit()
        if pending is None:
            return
        request, queued, cancel, fraction, began = pending
        self._busy(True)
        previous = self.status_line.object
        future = asyncio.wrap_future(queued)
        shown_later = False
        try:
            while not future.done():
                if cancel.is_set():  # free the page now; the worker stops at its next step
                    raise Cancelled()
                self._show_progress(request, RUNS.place(queued), fraction[0])
                await asyncio.wait([future], timeout=POLL_SECONDS)
            results, outcome = future.result()
        except Exception as exc:
            self.status_line.object = previous
            # a waiting run leaves the line; a started one stops at its next step, its outcome dropped, unlogged
            if not queued.cancel() and not future.done():
                future.add_done_callback(lambda f: f.cancelled() or f.exception())
            if isinstance(exc, Cancelled):
                self.notify("run cancelled", "info")
            elif isinstance(exc, DeepcamsError):
                self.notify(str(exc))
            else:  # an unexpected failure must not take the page down: report it, log it
                log.exception("run failed")
                self.notify(f"run failed: {type(exc).__name__}: {exc}")
        else:
            fields, metrics, scores = outcome
            # the page gets this callback's changes when it ends: the table now, the maps' seconds of work
            # in a callback of their own
            with pn.io.hold(freeze=True):
                self.comparison.publish_scores(results, metrics, scores)
            self.status_line.object = "Drawing the maps ..."
            pn.state.execute(partial(self._show, request, results, fields, began), schedule=True)
            shown_later = True
        finally:
            if not shown_later:
                self._busy(False)

    def _show(self, request, results, fields, began: float) -> None:
        """The rest of the run: maps, series and exports."""
        try:
            with pn.io.hold(freeze=True):
                self.comparison.publish_fields(request, fields)
            self.export_method_options(list(results))
            self.status_line.object = (
                f"Ran {', '.join(results)} on {request.bbox} in {time.perf_counter() - began:.1f} s"
            )
        finally:
            self._busy(False)

    def _show_progress(self, request, place: int, done: float | None) -> None:
        """The bar and the status line of a run: its place in line while it waits, then its progress."""
        value = -1 if place or not done else max(int(100 * done), 1)  # -1: busy, no fraction yet
        if place:
            status = f"Queued: place {place} in line (the server runs {RUNS.workers} runs at a time) ..."
        elif done is not None and done >= DOWNSCALE_SHARE:
            status = "Scoring against the truth and preparing the maps ..."
        else:
            status = f"Running {', '.join(request.methods)} on {request.bbox} ..."
        self.progress.value = value
        if self.status_line.object != status:
            self.status_line.object = status

    def close(self) -> None:
        """The page has gone (its session ended): cancel its run, waiting or started, and show nothing more;
        the run's memory goes back to the system as its worker stops (`deepcams.dashboard.runs`)."""
        self._closed = True
        self._cancel.set()

    def _busy(self, running: bool) -> None:
        self.running = running
        self.run_button.disabled = running
        self.cancel_button.disabled = not running
        self.progress.param.update(visible=running, value=-1)

    def export_method_options(self, names: list[str]) -> None:
        self.param.export_method.objects = names
        self.export_method = names[0] if names else None
        self.netcdf.disabled = not names

    @param.depends("export_method", watch=True)
    def _export_name(self) -> None:
        request = self.comparison.request
        if self.export_method and request is not None:
            stamp = f"{request.start:%Y%m%dT%H}-{request.end:%Y%m%dT%H}"
            self.netcdf.filename = f"pm25_{self.export_method}_{stamp}.nc"

    @param.depends("comparison.results", watch=True)
    def _results_changed(self) -> None:
        if not self.comparison.results:
            self.export_method_options([])

    # --- exports -------------------------------------------------------------------------------------

    def _netcdf(self):
        results = self.comparison.results
        if self.export_method not in results:
            self.notify("run a comparison first: there is no result to export")
            return None
        return netcdf_bytes(results[self.export_method])

    def _png(self):
        snapshot = self.maps.snapshot()
        if snapshot is None:
            self.notify("nothing to draw yet")
            return None
        return png_bytes(snapshot)

    def _gif(self):
        snapshots = self.maps.snapshots()
        if not snapshots:
            self.notify("nothing to draw yet")
            return None
        return gif_bytes(snapshots)

    def _csv(self):
        text = self.series.csv()
        if not text:
            self.notify("nothing to export yet: run a comparison or tap a map")
            return None
        return io.BytesIO(text.encode())

    async def start(self) -> None:
        """The opening view: run the comparison the controls describe (the page calls it once loaded)."""
        await self._run()

    # --- layout --------------------------------------------------------------------------------------

    def controls(self) -> pn.Column:
        """The sidebar, fitting 1280 x 800: what to run and Run first, details and exports below."""
        w = self.widgets
        return pn.Column(
            w["dataset"],
            w["region"],
            pn.Row(w["west"], w["east"]),
            pn.Row(w["south"], w["north"]),
            pn.Row(w["start"], w["end"]),
            pn.pane.Markdown("**Methods**", margin=(5, 10, 0, 10)),
            w["methods"],
            pn.Row(self.run_button, self.cancel_button),
            self.progress,
            self.availability,
            w["conserve"],
            w["device"],
            self.method_info,
            self.stations_info,
            pn.layout.Divider(),
            pn.widgets.Select.from_param(self.param.export_method, css_classes=["w-export"], width=BOX_WIDTH),
            self.netcdf,
            self.png,
            self.gif,
            self.csv,
            pn.pane.Markdown(
                f"<small>{coastlines.ATTRIBUTION}. CAMS: Copernicus Atmosphere Monitoring Service; "
                "GEOS-CF: NASA GMAO.</small>"
            ),
            width=BOX_WIDTH + 20,
        )

    def main(self) -> pn.Column:
        return pn.Column(
            self.alert,
            self.caption,
            pn.Row(pn.Column(self.status_line, self.metrics), self.overview),
            self.maps,
            self.series,
            self.stations_panel,
            self.exposure,
            self.skill,
            self.ensemble,
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        return pn.Row(self.controls(), self.main(), sizing_mode="stretch_width")
