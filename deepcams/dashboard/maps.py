"""Linked maps of every source at one hour (large fields rasterized by datashader), coastlines on top.

All maps sit in one HoloViews layout, so they share their lon/lat axes (pan or zoom one, all follow) and
one colour scale; difference maps (method minus truth) use a diverging colormap centred on zero. With
station files configured, each method's map carries that method's stations as points coloured by its bias
at the station over the run's hours, on a diverging colormap centred on zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr
from holoviews.operation.datashader import rasterize

from deepcams.dashboard import coastlines
from deepcams.dashboard.comparison import INPUT, TRUTH, Comparison
from deepcams.dashboard.export import MapFrame, Snapshot
from deepcams.dashboard.selection import Selection

COLORMAPS = ["inferno", "viridis", "magma", "plasma", "cividis"]  # perceptually uniform
DIVERGING = "RdBu_r"
SAMPLE = 1_000_000  # values sampled to choose the colour range quickly on large requests
RASTERIZE_ABOVE = 250 * 250  # cells of a field above which datashader regrids it to the map's pixels


def frame_at(field: xr.DataArray, hour: pd.Timestamp, latest: bool = False) -> np.ndarray:
    """The field at `hour`; NaN where it has no such time, or with `latest` (the 3-hourly input) its
    latest frame at or before `hour`."""
    times = pd.DatetimeIndex(field["time"].values)
    index = np.flatnonzero(times <= hour if latest else times == hour)
    if index.size == 0:
        return np.full(field.shape[1:], np.nan, dtype="float32")
    return field.values[index[-1]]


def colour_range(fields: list[np.ndarray], log: bool) -> tuple[float, float]:
    """One colour range for all maps: the full maximum (fires are never clipped), a robust minimum."""
    values = np.concatenate([f.ravel()[:: max(1, f.size // SAMPLE)] for f in fields])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (0.1, 1.0) if log else (0.0, 1.0)
    top = max(float(np.nanmax([np.nanmax(f) if np.isfinite(f).any() else 0.0 for f in fields])), 1e-3)
    if not log:
        return 0.0, top
    low = max(float(np.percentile(values[values > 0], 1)) if (values > 0).any() else 0.1, 0.01)
    return min(low, top / 10), top


def difference_range(fields: dict[str, xr.DataArray], truth: xr.DataArray) -> float:
    """Half-width of the difference colour scale: the 99.5th percentile of |method - truth| (robust), over
    about four of the hours the method and the truth share."""
    spans = []
    for field in fields.values():
        common = np.intersect1d(field["time"].values, truth["time"].values)
        if common.size:
            hours = common[:: max(1, common.size // 4)]
            d = np.abs(field.sel(time=hours).values - truth.sel(time=hours).values)
            if np.isfinite(d).any():
                spans.append(float(np.nanpercentile(d, 99.5)))
    return max(max(spans, default=1.0), 1e-3)


@dataclass(frozen=True)
class MapPanel:
    """One map of the grid: a field of the comparison, or (`difference`) that field minus the truth."""

    field: str
    difference: bool = False

    @property
    def title(self) -> str:
        return f"{self.field} - truth" if self.difference else self.field


class MapGrid(pn.viewable.Viewer):
    """The maps of a `Comparison`'s fields at the selection's hour; a tap sets the selection's point, pan
    and zoom its view ranges."""

    comparison = param.ClassSelector(class_=Comparison)
    selection = param.ClassSelector(class_=Selection, doc="Shared with the other views")
    log_scale = param.Boolean(True, label="Log colour scale")
    cmap = param.Selector(objects=COLORMAPS, default="inferno", label="Colormap")
    differences = param.Boolean(True, label="Difference maps (method - truth)")
    width = param.Integer(250, doc="Frame width of each map in pixels")

    def __init__(self, **params):
        params.setdefault("selection", Selection())
        super().__init__(**params)
        self._pane = pn.pane.HoloViews(sizing_mode="stretch_width", min_height=300, css_classes=["maps"])
        self.player = pn.widgets.Player(
            label="Hour",
            start=0,
            end=0,
            value=self.selection.hour,
            interval=700,
            loop_policy="once",
            width=420,
            show_loop_controls=False,
        )
        self.player.link(self.selection, value="hour", bidirectional=True)
        self.label = pn.pane.Markdown("", margin=(0, 10))
        self.images: list[hv.DynamicMap] = []  # the rasterized maps; their RangeXY streams follow pan/zoom
        self._hours_changed()
        self._rebuild()

    def panels(self) -> list[MapPanel]:
        """The maps shown, in order: sources, then differences when there is a truth."""
        fields = self.comparison.fields
        panels = [MapPanel(name) for name in fields]
        if self.differences and TRUTH in fields:
            panels += [MapPanel(name, difference=True) for name in self.comparison.results]
        return panels

    def frame(self, panel: MapPanel, hour: pd.Timestamp) -> np.ndarray:
        """One map's values at `hour` (the PNG export draws the same)."""
        fields = self.comparison.fields
        if panel.difference:
            return frame_at(fields[panel.field], hour) - frame_at(fields[TRUTH], hour)
        return frame_at(fields[panel.field], hour, latest=panel.field == INPUT)

    def extent(self) -> tuple[float, float, float, float]:
        """West, south, east, north of all fields together (where the maps start)."""
        fields = self.comparison.fields.values()
        lon = np.concatenate([f["lon"].values for f in fields])
        lat = np.concatenate([f["lat"].values for f in fields])
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())

    def clim(self) -> tuple[float, float]:
        """The colour range shared by the source maps (ug m-3)."""
        return colour_range([f.values for f in self.comparison.fields.values()], self.log_scale)

    def diff_limit(self) -> float:
        """Difference maps span -diff_limit .. diff_limit (1 without a truth)."""
        fields = self.comparison.fields
        if TRUTH not in fields:
            return 1.0
        return difference_range({n: fields[n] for n in self.comparison.results}, fields[TRUTH])

    def snapshot(self) -> Snapshot | None:
        """What the maps show now (hour, colours, view), to draw them off the page; None before any field."""
        hour = self.selection.time(self.comparison.hours)
        if hour is None:
            return None
        fields = self.comparison.fields
        frames = tuple(
            MapFrame(
                panel.title,
                fields[panel.field]["lon"].values,
                fields[panel.field]["lat"].values,
                self.frame(panel, hour),
                difference=panel.difference,
            )
            for panel in self.panels()
        )
        west, south, east, north = self.extent()
        return Snapshot(
            title=f"PM2.5 {hour:%Y-%m-%d %H:%M} UTC, {self.comparison.source.label}",
            frames=frames,
            clim=self.clim(),
            log=self.log_scale,
            cmap=self.cmap,
            diff_limit=self.diff_limit(),
            x_range=self.selection.x_range or (west, east),
            y_range=self.selection.y_range or (south, north),
        )

    @param.depends("comparison.fields", watch=True)
    def _hours_changed(self) -> None:
        last = max(len(self.comparison.hours) - 1, 0)
        self.player.end = last
        self.selection.hour = min(self.selection.hour, last)
        self._hour_label()

    @param.depends("selection.hour", watch=True)
    def _hour_label(self) -> None:
        hour = self.selection.time(self.comparison.hours)
        self.label.object = "" if hour is None else f"**{hour:%Y-%m-%d %H:%M} UTC**"

    @param.depends("comparison.fields", "log_scale", "cmap", "differences", watch=True)
    def _rebuild(self) -> None:
        """Build the layout of maps for the current fields (a new run, colour or difference settings)."""
        self.selection.param.update(x_range=None, y_range=None)  # new figures start at the whole region
        fields = self.comparison.fields
        if not fields:
            self._pane.object = None
            return
        extent = self.extent()
        scale = "110m" if extent[2] - extent[0] > 100 else "50m"
        box = (extent[0], extent[2], extent[1], extent[3])
        # coastlines and borders as one path: one glyph per map keeps rendering fast
        lines = hv.Path(
            [coastlines.lines("coastline", scale, *box), coastlines.lines("borders", scale, *box)],
            ["lon", "lat"],
        ).opts(apply_ranges=False, line_width=0.7)
        aspect = max(min((extent[2] - extent[0]) / max(extent[3] - extent[1], 1e-6), 3.0), 0.5)
        common = dict(
            frame_width=self.width,
            aspect=aspect,
            xlabel="lon",
            ylabel="lat",
            tools=["hover", "tap"],
            colorbar=True,
            active_tools=["wheel_zoom"],
            xlim=(extent[0], extent[2]),
            ylim=(extent[1], extent[3]),
            # HoloViews asks Bokeh for WebGL by default; without a GPU (software WebGL) copying each of the
            # six canvases to the page costs seconds per run, while 2D canvas draws images and lines at once
            backend_opts={"plot.output_backend": "canvas"},
        )
        panels = self.panels()
        limit = self.diff_limit() if any(panel.difference for panel in panels) else 1.0
        colours = {  # by `panel.difference`
            False: dict(
                cmap=self.cmap,
                cnorm="log" if self.log_scale else "linear",
                clim=self.clim(),
                clabel="PM2.5 (ug m-3)",
            ),
            True: dict(cmap=DIVERGING, cnorm="linear", clim=(-limit, limit), clabel="difference (ug m-3)"),
        }
        self.images = [
            self._dynamic(panel).opts(title=panel.title, **colours[panel.difference], **common)
            for panel in panels
        ]
        layers = self.station_layers
        overlays = []
        for k, (panel, image) in enumerate(zip(panels, self.images, strict=True)):
            tap = hv.streams.Tap(source=image, x=None, y=None)
            tap.add_subscriber(self._tapped)
            if k == 0:
                hv.streams.RangeXY(source=image).add_subscriber(self._ranged)
            overlay = image * lines.opts(color="black" if panel.difference else "white", clone=True)
            if not panel.difference and panel.field in layers:
                overlay = overlay * layers[panel.field]
            overlays.append(overlay)
        self._pane.object = hv.Layout(overlays).cols(3).opts(shared_axes=True)

    @property
    def station_layers(self) -> dict[str, hv.Points]:
        """Each method's stations as points coloured by bias (product - station), one scale for all maps."""
        scores = self.comparison.station_scores
        if scores is None or scores.empty:
            return {}
        limit = max(float(np.nanmax(np.abs(scores["bias"].to_numpy(dtype="float64")), initial=0.0)), 1e-3)
        dims = ["bias", "name", "n", "rmse", "r"]
        return {
            name: hv.Points(
                table[["lon", "lat", *dims]], kdims=["lon", "lat"], vdims=dims, label="stations"
            ).opts(
                color="bias",
                cmap=DIVERGING,
                clim=(-limit, limit),
                size=9,
                line_color="black",
                tools=["hover"],
                hover_tooltips=[
                    ("station", "@name"),
                    ("N", "@n"),
                    ("bias (ug m-3)", "@bias{+0.00}"),
                    ("RMSE (ug m-3)", "@rmse{0.00}"),
                    ("R", "@r{0.000}"),
                ],
            )
            for name, table in scores.groupby("product", sort=False)
        }

    def _dynamic(self, panel: MapPanel):
        field = self.comparison.fields[panel.field]
        lon, lat = field["lon"].values, field["lat"].values
        vdim = "difference" if panel.difference else "pm25"

        def image(hour: int) -> hv.Image:
            values = self.frame(panel, self.selection.time(self.comparison.hours))
            return hv.Image((lon, lat, values), kdims=["lon", "lat"], vdims=[vdim])

        maps = hv.DynamicMap(image, streams=dict(hour=self.selection.param.hour))
        # datashader regrids large fields to the screen's pixels on every pan/zoom; a field with fewer cells
        # than the map has pixels gains nothing from it, and skipping it saves building and re-running the
        # operation (HoloViews re-runs it once more when the new plot reports its ranges)
        return rasterize(maps) if lon.size * lat.size > RASTERIZE_ABOVE else maps

    def _tapped(self, x, y) -> None:
        if x is not None and y is not None:
            self.selection.point = (float(x), float(y))

    def _ranged(self, x_range, y_range) -> None:
        if x_range is not None and y_range is not None:
            self.selection.param.update(x_range=tuple(x_range), y_range=tuple(y_range))

    def __panel__(self):
        return pn.Column(
            pn.Row(self.player, self.label),
            pn.Row(
                pn.widgets.Checkbox.from_param(self.param.log_scale),
                pn.widgets.Select.from_param(self.param.cmap, width=140),
                pn.widgets.Checkbox.from_param(self.param.differences),
            ),
            self._pane,
            sizing_mode="stretch_width",
        )
