"""The dashboard: controls, Run/Cancel with progress, linked maps, time series, metrics and exports.

Composes the components of this package around one `Comparison` (the request and its results) and one
`Selection` (the hour, point and view the views share). Runs go to a process-wide thread pool
and the page polls their progress from the event loop, so other sessions and the page stay responsive.
Every problem becomes a one-line notification (and the status line); the page never shows a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import panel as pn
import param

from deepcams.dashboard import coastlines
from deepcams.dashboard.comparison import Cancelled, Comparison
from deepcams.dashboard.export import netcdf_bytes, png_bytes
from deepcams.dashboard.maps import MapGrid
from deepcams.dashboard.overview import Overview
from deepcams.dashboard.selection import Selection
from deepcams.dashboard.series import MetricsTable, SeriesChart
from deepcams.errors import DeepcamsError

log = logging.getLogger(__name__)
# two workers: the machines this runs on have few cores; further runs queue (and show 0 % until they start)
EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="deepcams-run")
DOWNSCALE_SHARE = 0.8


class Dashboard(pn.viewable.Viewer):
    """The whole comparison app; `controls()` and `main()` fill a template's sidebar and main area."""

    comparison = param.ClassSelector(class_=Comparison)
    running = param.Boolean(False)
    export_method = param.Selector(objects=[], label="Result to export")

    def __init__(self, roots: tuple[Path, ...] = (), stations: tuple[Path, ...] = (), **params):
        params.setdefault("comparison", Comparison(roots=roots, station_files=stations))
        super().__init__(**params)
        self.selection = Selection()
        self.maps = MapGrid(comparison=self.comparison, selection=self.selection)
        self.series = SeriesChart(comparison=self.comparison, selection=self.selection)
        self.metrics = MetricsTable(comparison=self.comparison)
        self.overview = Overview(comparison=self.comparison)
        self._cancel = threading.Event()
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
        self.widgets = {
            "dataset": pn.widgets.Select.from_param(
                c.param.dataset, css_classes=["w-dataset"], name="Dataset"
            ),
            "region": pn.widgets.Select.from_param(c.param.region, css_classes=["w-region"], name="Region"),
            "west": pn.widgets.FloatInput.from_param(
                c.param.west, css_classes=["w-west"], name="W", width=70, step=0.25
            ),
            "south": pn.widgets.FloatInput.from_param(
                c.param.south, css_classes=["w-south"], name="S", width=70, step=0.25
            ),
            "east": pn.widgets.FloatInput.from_param(
                c.param.east, css_classes=["w-east"], name="E", width=70, step=0.25
            ),
            "north": pn.widgets.FloatInput.from_param(
                c.param.north, css_classes=["w-north"], name="N", width=70, step=0.25
            ),
            "start": pn.widgets.Select.from_param(c.param.start, css_classes=["w-start"], name="From"),
            "end": pn.widgets.Select.from_param(c.param.end, css_classes=["w-end"], name="To"),
            "methods": pn.widgets.CheckBoxGroup.from_param(
                c.param.methods, css_classes=["w-methods"], name="Methods", inline=False
            ),
            "conserve": pn.widgets.Checkbox.from_param(
                c.param.conserve, css_classes=["w-conserve"], name="DeepCAMS: conserve CAMS cell means"
            ),
            "device": pn.widgets.RadioButtonGroup.from_param(
                c.param.device, css_classes=["w-device"], name="Device"
            ),
        }
        self._describe()
        self._problem()
        self._describe_stations()

    # --- messages ------------------------------------------------------------------------------------

    def notify(self, message: str, level: str = "error") -> None:
        """A visible message: a toast where notifications are enabled, and the alert above the maps."""
        if pn.state.notifications is not None:
            getattr(pn.state.notifications, level)(message, duration=10000)
        self.alert.param.update(
            object=message, alert_type="danger" if level == "error" else "info", visible=True
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
        try:
            self.availability.object = f"**Available:** {source.availability()}"
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
            f"**Learned model:** {info}  \n" if info else ""
        ) + f"**Device:** {c.device}"

    def _describe_stations(self) -> None:
        """What the configured station files hold, kept in the sidebar; unreadable files also notified."""
        stations = self.comparison.stations
        if stations is None:
            return
        lines = [f"**Stations:** {stations.summary()}"]
        for problem in stations.problems:
            lines.append(f"unreadable station file: {problem}")
            self.notify(f"unreadable station file: {problem}")
        self.stations_info.object = "  \n".join(lines)

    # --- run -----------------------------------------------------------------------------------------

    async def _run(self, event=None) -> None:
        c = self.comparison
        try:
            request = c.current_request()
            c.method_info()  # loads learned models: missing weights show up here
        except DeepcamsError as exc:
            self.notify(str(exc))
            return
        self._cancel = threading.Event()
        fraction = [0.0]
        self._busy(True)
        began = time.perf_counter()
        loop = asyncio.get_running_loop()

        def work():
            # downscaling fills the bar to DOWNSCALE_SHARE; cutting input and truth and scoring do the rest
            results = c.compute(
                request,
                on_progress=lambda f: fraction.__setitem__(0, DOWNSCALE_SHARE * f),
                cancel=self._cancel,
            )
            return results, c.outcome(request, results)

        previous = self.status_line.object
        self.status_line.object = f"Running {', '.join(request.methods)} on {request.bbox} ..."
        future = loop.run_in_executor(EXECUTOR, work)
        try:
            while not future.done():
                self.progress.value = int(100 * fraction[0])
                if fraction[0] >= DOWNSCALE_SHARE:
                    self.status_line.object = "Scoring against the truth and preparing the maps ..."
                await asyncio.wait([future], timeout=0.2)
            results, outcome = future.result()
        except Exception as exc:
            self.status_line.object = previous
            if isinstance(exc, Cancelled):
                self.notify("run cancelled", "info")
            elif isinstance(exc, DeepcamsError):
                self.notify(str(exc))
            else:  # an unexpected failure must not take the page down: report it, log it
                log.exception("run failed")
                self.notify(f"run failed: {type(exc).__name__}: {exc}")
        else:
            c.publish(request, results, *outcome)
            self.export_method_options(list(results))
            self.status_line.object = (
                f"Ran {', '.join(results)} on {request.bbox} in {time.perf_counter() - began:.1f} s"
            )
        finally:
            self._busy(False)

    def _busy(self, running: bool) -> None:
        self.running = running
        self.run_button.disabled = running
        self.cancel_button.disabled = not running
        self.progress.param.update(visible=running, value=0)

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

    # --- layout --------------------------------------------------------------------------------------

    def controls(self) -> pn.Column:
        w = self.widgets
        return pn.Column(
            w["dataset"],
            self.availability,
            w["region"],
            pn.Row(w["west"], w["south"], w["east"], w["north"]),
            pn.Row(w["start"], w["end"]),
            pn.pane.Markdown("**Methods**", margin=(5, 10, 0, 10)),
            w["methods"],
            w["conserve"],
            w["device"],
            self.method_info,
            self.stations_info,
            pn.Row(self.run_button, self.cancel_button),
            self.progress,
            pn.layout.Divider(),
            pn.widgets.Select.from_param(self.param.export_method, css_classes=["w-export"]),
            self.netcdf,
            self.png,
            pn.pane.Markdown(
                f"<small>{coastlines.ATTRIBUTION}. CAMS: Copernicus Atmosphere Monitoring Service; "
                "GEOS-CF: NASA GMAO.</small>"
            ),
            width=320,
        )

    def main(self) -> pn.Column:
        return pn.Column(
            self.alert,
            pn.Row(self.overview, pn.Column(self.status_line, self.metrics)),
            self.maps,
            self.series,
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        return pn.Row(self.controls(), self.main(), sizing_mode="stretch_width")
