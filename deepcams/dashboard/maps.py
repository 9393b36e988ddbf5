"""Linked maps of every source at one hour: GeoViews elements in a cartopy projection (large fields
rasterized by datashader), Natural Earth coastlines and borders on top.

All maps sit in one HoloViews layout, so they share their axes (pan or zoom one, all follow) and one
colour scale; difference maps (method minus truth) use a diverging colormap centred on zero. With
stations (the dataset's own or configured files), each method's map carries that method's stations as
points coloured by its bias at the station over the run's hours. A tap sets the shared point (in lon/lat,
whatever the projection), marked on every map.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cartopy.crs as ccrs
import geoviews as gv
import geoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr
from bokeh.models import ColumnDataSource, CustomJSTickFormatter, HoverTool, TapTool
from holoviews.operation.datashader import rasterize

from deepcams.dashboard import coastlines
from deepcams.dashboard.comparison import INPUT, TRUTH, Comparison
from deepcams.dashboard.document import change_models
from deepcams.dashboard.export import MapFrame, Snapshot
from deepcams.dashboard.projections import (
    LAT_FORMATTER_CODE,
    PLATE_CARREE,
    PROJECTIONS,
    Resampler,
    lon_formatter,
    make_crs,
    plane_lines,
)
from deepcams.dashboard.selection import Selection
from deepcams.grids import wrap_lon

COLORMAPS = ["inferno", "viridis", "magma", "plasma", "cividis"]  # perceptually uniform
DIVERGING = "RdBu_r"
SAMPLE = 1_000_000  # values sampled to choose the colour range quickly on large requests
RASTERIZE_ABOVE = 320 * 320  # cells of a field above which datashader regrids it to the map's pixels
UNITS = "µg m⁻³"
CARD_MAP_SIDE = 420  # pixels, the longer side of a card's map (stations, exposure, skill)
HOUR_INTERVAL_MS = 200  # the hour player's pace: at most 5 frames a second
# HoloViews asks Bokeh for WebGL by default; without a GPU (software WebGL) the browser copies each WebGL
# canvas to the page on every repaint (the overview map alone: about 0.75 s of a run, docs/benchmarks.md),
# while a 2D canvas draws these small images and lines at once: every figure of the page is a 2D canvas
CANVAS = {"plot.output_backend": "canvas"}


def size_by_frame(plot, element) -> None:
    """A hook: a figure sized by its frame (frame_width/height) is not "fixed" without width and height,
    which Bokeh warns about (W-1005) on every page load."""
    plot.state.sizing_mode = None


def frame_size(lon: np.ndarray, lat: np.ndarray, longest: int = CARD_MAP_SIDE) -> dict[str, int]:
    """A plate carrée frame, a degree as long both ways, its longer side `longest` pixels: both sides set,
    as Bokeh's fixed sizing wants (with `size_by_frame`)."""
    width, height = float(np.ptp(lon)) or 1.0, float(np.ptp(lat)) or 1.0
    scale = longest / max(width, height)
    return {"frame_width": max(round(width * scale), 80), "frame_height": max(round(height * scale), 80)}


def lonlat_map(field: xr.DataArray, vdim: str, coast: str, **opts) -> hv.Overlay:
    """A card's plate carrée map of a (lat, lon) field with its coastlines (no tiles), framed on the field
    and sized by `frame_size`; `opts` style the image (cmap, clim, clabel, ...)."""
    lon, lat = field["lon"].values, field["lat"].values
    lines = coastlines.lines("coastline", "50m", lon.min(), lon.max(), lat.min(), lat.max(), margin=1.0)
    image = hv.Image(field, kdims=["lon", "lat"], vdims=[vdim]).opts(
        colorbar=True, tools=["hover"], hooks=[size_by_frame], backend_opts=CANVAS, **frame_size(lon, lat),
        xlim=(float(lon.min()), float(lon.max())), ylim=(float(lat.min()), float(lat.max())), **opts,
    )  # fmt: skip
    return image * hv.Path([lines], ["lon", "lat"]).opts(color=coast, line_width=0.7)


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


@dataclass
class FixedMap:
    """A map drawn at a fixed raster: its values at an hour, and the Bokeh plots that show it."""

    values: Callable[[pd.Timestamp], np.ndarray]
    flip: bool  # the raster's rows run north to south (Bokeh's run south to north)
    plots: list = dataclasses.field(default_factory=list)


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
    projection = param.Selector(objects=list(PROJECTIONS), default=PLATE_CARREE, label="Projection")
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
            interval=HOUR_INTERVAL_MS,
            loop_policy="once",
            width=420,
            show_loop_controls=False,
            css_classes=["hour-player"],
        )
        self.player.link(self.selection, value="hour", bidirectional=True)
        self.label = pn.pane.Markdown("", margin=(0, 10), css_classes=["hour-label"])
        self.images: list[hv.DynamicMap | gv.Image] = []  # one element a map (see `_dynamic`)
        # the Bokeh plots of the maps drawn at a fixed raster, by panel: an hour change writes their pixels
        self._fixed: dict[MapPanel, FixedMap] = {}
        self.crs: ccrs.Projection = ccrs.PlateCarree()
        self._resamplers: dict[tuple, Resampler] = {}  # per field axes, for projected views
        self._lines = np.empty((0, 2))  # coastlines and borders in the plane's x, y (NaN between lines)
        self._marker_sources: list[ColumnDataSource] = []  # the tapped point's ring, one source a figure
        self._line_sources: list[ColumnDataSource] = []  # the coastlines and borders, one source a figure
        self._layout: tuple | None = None  # what the figures on the page are made of (`_layout_of`)
        self._hours_changed()
        self._rebuild()

    def panels(self) -> list[MapPanel]:
        """The maps shown, in order: input and truth first (they keep their places whatever the methods),
        then the methods, then differences when there is a truth."""
        fields = self.comparison.fields
        order = [n for n in (INPUT, TRUTH) if n in fields] + [n for n in fields if n not in (INPUT, TRUTH)]
        panels = [MapPanel(name) for name in order]
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

    def snapshot(self, index: int | None = None) -> Snapshot | None:
        """What the maps show now (colours, view) at the selection's hour or hour `index`, to draw them off
        the page; None before any field."""
        hours = self.comparison.hours
        hour = self.selection.time(hours) if index is None else hours[index] if len(hours) else None
        if hour is None:
            return None
        fields = self.comparison.fields
        frames = tuple(
            MapFrame(
                self.title(panel),
                fields[panel.field]["lon"].values,
                fields[panel.field]["lat"].values,
                self.frame(panel, hour),
                difference=panel.difference,
            )
            for panel in self.panels()
        )
        west, south, east, north = self.extent()
        x_range, y_range = (west, east), (south, north)
        if self._plate() and self.selection.x_range is not None:  # the view, back in longitudes
            x_range = tuple(v + self._central() for v in self.selection.x_range)
            y_range = self.selection.y_range
        clim, diff_limit = self.clim(), self.diff_limit()
        return Snapshot(
            title=f"PM2.5 {hour:%Y-%m-%d %H:%M} UTC, {self.comparison.source.label}",
            frames=frames,
            clim=clim,
            log=self.log_scale,
            cmap=self.cmap,
            diff_limit=diff_limit,
            x_range=x_range,
            y_range=y_range,
        )

    def title(self, panel: MapPanel) -> str:
        """The map's title in the dataset's words (synthetic input, GEOS-CF truth, ...)."""
        name = self.comparison.label(panel.field)
        return f"{name} - {self.comparison.label(TRUTH)}" if panel.difference else name

    def snapshots(self) -> list[Snapshot]:
        """The current view at every hour of the fields, in order (the GIF's frames)."""
        return [self.snapshot(k) for k in range(len(self.comparison.hours))]

    def to_lonlat(self, x: float, y: float) -> tuple[float, float] | None:
        """A point of the maps' plane as (lon, lat) on the fields' own longitude axis; None off the globe."""
        lon, lat = ccrs.PlateCarree().transform_point(x, y, self.crs)
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return None
        fields = self.comparison.fields
        west = float(next(iter(fields.values()))["lon"].values[0]) if fields else -180.0
        return float(wrap_lon(lon, west)), float(lat)

    def _points_plane(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Points' lon/lat (on the fields' longitude axis) as the maps' plane coordinates."""
        lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
        if self._plate():
            return lon - self._central(), lat
        xy = self.crs.transform_points(ccrs.PlateCarree(), lon, lat)
        return xy[:, 0], xy[:, 1]

    def _plate(self) -> bool:
        return self.projection == PLATE_CARREE

    def _central(self) -> float:
        return float(self.crs.proj4_params.get("lon_0", 0.0))

    def _plate_x(self, lon: np.ndarray) -> np.ndarray:
        """Plate carrée x of increasing longitudes (may run past 180): kept increasing across the seam."""
        lon = np.asarray(lon, dtype="float64")
        first = float(wrap_lon(lon[0] - self._central()))
        return first + (lon - lon[0])

    def _raster(self, field: xr.DataArray) -> Resampler:
        lon, lat = field["lon"].values, field["lat"].values
        key = (self.projection, lon[0], lon[-1], lon.size, lat[0], lat[-1], lat.size)
        if key not in self._resamplers:
            self._resamplers = {key: Resampler(self.crs, lon, lat), **self._resamplers}
        return self._resamplers[key]

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

    @param.depends("comparison.fields", "log_scale", "cmap", "differences", "projection", watch=True)
    def _rebuild(self) -> None:
        """Build the layout of maps for the current fields (a new run, colour, difference or projection);
        a run whose maps are laid out as the last one's goes into the figures already on the page."""
        self.selection.param.update(x_range=None, y_range=None)  # new figures start at the whole region
        fields = self.comparison.fields
        if not fields:
            self._pane.object = None
            self._layout = None
            return
        extent = self.extent()
        panels = self._page_panels(self.panels())
        layout = self._layout_of(panels)
        if layout is not None and layout == self._layout and self._refill(panels, extent):
            return
        self._layout = layout
        self.crs = make_crs(self.projection, *extent)
        self._lines = self._plane_lines(extent)
        self._marker_sources, self._line_sources = [], []
        (x0, x1), (y0, y1) = self._plane_extent(extent)
        height = self._frame_height(x1 - x0, y1 - y0)
        axes = (
            dict(
                xformatter=lon_formatter(self.crs.proj4_params.get("lon_0", 0.0)),
                yformatter=CustomJSTickFormatter(code=LAT_FORMATTER_CODE),
                xlabel="lon",
                ylabel="lat",
            )
            if self._plate()
            else dict(xaxis=None, yaxis=None)
        )
        common = dict(  # width and height both set: Bokeh's fixed sizing needs them (no W-1005 warning)
            frame_width=self.width,
            frame_height=height,
            tools=["tap"],
            colorbar=True,
            active_tools=["pan", "wheel_zoom"],
            xlim=(x0, x1),
            ylim=(y0, y1),
            projection=self.crs,
            global_extent=False,
            backend_opts=CANVAS,
            **axes,
        )
        limit = self.diff_limit() if any(panel.difference for panel in panels) else 1.0
        colours = {  # by `panel.difference`
            False: dict(
                cmap=self.cmap,
                cnorm="log" if self.log_scale else "linear",
                clim=self.clim(),
                clabel=f"PM2.5 ({UNITS})",
                tools=["tap", HoverTool(tooltips=[("PM2.5", f"@pm25{{0.00}} {UNITS}")])],
            ),
            True: dict(
                cmap=DIVERGING,
                cnorm="linear",
                clim=(-limit, limit),
                clabel=f"difference ({UNITS})",
                tools=["tap", HoverTool(tooltips=[("difference", f"@difference{{+0.00}} {UNITS}")])],
            ),
        }
        self._fixed = {}
        self.images = []
        for panel in panels:
            element = self._dynamic(panel)
            hooks = [
                size_by_frame,
                partial(self._draw_lines_and_marker, "black" if panel.difference else "white"),
            ]
            if panel in self._fixed:  # its plots are remembered as they are made, for `_show_hour`
                hooks.append(partial(self._remember, panel))
            element = element.opts(
                title=self.title(panel), hooks=hooks, **(common | colours[panel.difference])
            )
            self.images.append(element)
        layers = self.station_layers
        maps = []
        for k, (panel, image) in enumerate(zip(panels, self.images, strict=True)):
            tap = hv.streams.Tap(source=image, x=None, y=None)
            tap.add_subscriber(self._tapped)
            if k == 0:
                hv.streams.RangeXY(source=image).add_subscriber(self._ranged)
            if not panel.difference and panel.field in layers:
                maps.append((image * layers[panel.field]).opts(hooks=[size_by_frame]))
            else:
                maps.append(image)
        self._pane.object = hv.Layout(maps).cols(3).opts(shared_axes=True)

    def _plane_lines(self, extent) -> np.ndarray:
        """Coastlines and borders of the region as one NaN-separated path in the plane's coordinates: one
        glyph per map, nothing for GeoViews to project or split on each render (`plane_lines`)."""
        scale = "110m" if extent[2] - extent[0] > 100 or not self._plate() else "50m"
        box = (extent[0], extent[2], extent[1], extent[3])
        paths = [coastlines.lines("coastline", scale, *box), coastlines.lines("borders", scale, *box)]
        if self._plate():  # the lines follow the fields' own longitudes (coastlines.lines shifts them)
            paths = [np.column_stack([p[:, 0] - self._central(), p[:, 1]]) for p in paths]
        else:
            paths = [plane_lines(self.crs, p) for p in paths]
        return np.concatenate([paths[0], [[np.nan, np.nan]], paths[1]])

    @param.depends("comparison.methods", watch=True)
    def _methods_changed(self) -> None:
        """Blank maps of methods no longer ticked do not stay on the page until the next run."""
        fields = self.comparison.fields
        if self._layout is not None and any(p.field not in fields for p in self._layout[0]):
            self._rebuild()

    def _page_panels(self, panels: list[MapPanel]) -> list[MapPanel]:
        """The maps to lay out for `panels`: a preview (input and truth, no results yet) keeps the last
        run's maps on the page, its methods' maps blank until the next run, when the methods ticked are
        still those maps' methods: the run then writes into the same figures (`_refill`) instead of six
        new ones replacing the preview's two."""
        if self.comparison.results or self._layout is None:
            return panels
        page = list(self._layout[0])
        fields = self.comparison.fields
        planned = [MapPanel(name) for name in self.comparison.methods]
        if TRUTH in fields and self.differences:
            planned += [MapPanel(name, difference=True) for name in self.comparison.methods]
        return page if page == panels + planned else panels

    def _layout_of(self, panels: list[MapPanel]) -> tuple | None:
        """What the maps' figures are made of beyond their pixels, ranges and titles; None where a new run
        always gets new figures (a rasterized or reprojected map, stations on the maps)."""
        fields = self.comparison.fields
        small = all(
            2 <= fields[p.field].sizes["lon"] and 2 <= fields[p.field].sizes["lat"]
            and fields[p.field].sizes["lon"] * fields[p.field].sizes["lat"] <= RASTERIZE_ABOVE
            for p in panels if p.field in fields
        )  # fmt: skip
        scores = self.comparison.station_scores
        if not (self._plate() and small and (scores is None or scores.empty)):
            return None
        return (tuple(panels), self.cmap, self.log_scale, self.width)

    def _refill(self, panels: list[MapPanel], extent) -> bool:
        """A new run's fields written into the figures on the page: pixels, ranges, frame height, colour
        ranges, titles, coastlines and longitude labels. Building six new HoloViews plots instead cost the
        server about 1 s a run and the browser as long again to lay them out (docs/benchmarks.md). False
        (nothing changed) while the figures are not drawn on any page yet."""
        plots = {panel: self._fixed[panel].plots for panel in panels if panel in self._fixed}
        if len(plots) != len(panels) or not all(plots.values()):
            return False
        self.crs = make_crs(self.projection, *extent)
        self._lines = self._plane_lines(extent)
        (x0, x1), (y0, y1) = self._plane_extent(extent)
        height = self._frame_height(x1 - x0, y1 - y0)
        clim = self.clim()
        limit = self.diff_limit() if any(panel.difference for panel in panels) else 1.0
        hour = self.selection.time(self.comparison.hours)
        code = lon_formatter(self._central()).code
        lines = {"x": self._lines[:, 0], "y": self._lines[:, 1]}
        writes = []  # (plot, its source's data, colour range, title), written together below
        for panel in panels:
            low, high = (-limit, limit) if panel.difference else clim
            if panel.field not in self.comparison.fields:  # a method's map before its run: one blank pixel
                self._fixed[panel] = FixedMap(
                    lambda hour: np.full((1, 1), np.nan), flip=False, plots=plots[panel]
                )
                data = {
                    "image": [np.full((1, 1), np.nan)],
                    "x": [x0],
                    "y": [y0],
                    "dw": [x1 - x0],
                    "dh": [y1 - y0],
                }
                writes += [
                    (plot, data, low, high, f"{self.title(panel)}: press Run") for plot in plots[panel]
                ]
                continue
            x, y, values = self._plate_values(panel)
            fixed = self._fixed[panel] = FixedMap(values, flip=bool(y[0] > y[-1]), plots=plots[panel])
            frame = values(hour)
            dx, dy = abs(x[-1] - x[0]) / (x.size - 1), abs(y[-1] - y[0]) / (y.size - 1)
            data = {  # the image's lower-left corner and size, as HoloViews draws a gridded image
                "image": [frame[::-1] if fixed.flip else frame],
                "x": [float(min(x[0], x[-1])) - dx / 2],
                "y": [float(min(y[0], y[-1])) - dy / 2],
                "dw": [float(abs(x[-1] - x[0])) + dx],
                "dh": [float(abs(y[-1] - y[0])) + dy],
            }
            writes += [(plot, data, low, high, self.title(panel)) for plot in fixed.plots]
        sources = list(self._line_sources)

        def write() -> None:
            for plot, data, low, high, title in writes:
                figure = plot.state
                plot.handles["source"].data = data
                plot.handles["color_mapper"].update(low=low, high=high)
                figure.title.text = title
                figure.frame_height = height
                figure.x_range.update(start=x0, end=x1)
                figure.y_range.update(start=y0, end=y1)
                for axis in figure.xaxis:
                    axis.formatter.code = code
            for source in sources:
                source.data = dict(lines)

        change_models([plot.state for plot, *_ in writes], write)
        self._mark_point()
        return True

    def _frame_height(self, width: float, height: float) -> int:
        """A map's frame height in pixels for a region `width` x `height` in the plane (aspect 0.5 .. 3)."""
        return int(self.width / max(min(width / max(height, 1e-6), 3.0), 0.5))

    def _plane_extent(self, extent) -> tuple[tuple[float, float], tuple[float, float]]:
        """The region's x and y ranges in the maps' plane."""
        if self._plate():
            x = self._plate_x(np.array([extent[0], extent[2]]))
            return (float(x[0]), float(x[1])), (extent[1], extent[3])
        raster = self._raster(next(iter(self.comparison.fields.values())))
        return (float(raster.x[0]), float(raster.x[-1])), (float(raster.y[0]), float(raster.y[-1]))

    def marker_data(self, point) -> dict[str, list[float]]:
        """The tapped point in the maps' plane, as the rings' source holds it (empty before a tap)."""
        if point is None:
            return {"x": [], "y": []}
        x, y = self._points_plane([point[0]], [point[1]])
        return {"x": [float(x[0])], "y": [float(y[0])]}

    def _draw_lines_and_marker(self, colour: str, plot, element) -> None:
        """A hook: coastlines, borders and the tapped point's ring drawn as plain Bokeh glyphs on the map's
        figure, once. As HoloViews overlays they made building the maps twice as slow (2.4 s for six,
        docs/benchmarks.md), and a tap redrew all six; here a tap rewrites one small source a map."""
        figure = plot.state
        if "deepcams-lines" in figure.tags:
            return
        figure.tags = [*figure.tags, "deepcams-lines"]
        for grid in figure.grid:  # never drawn on a map, but Bokeh looks up its styles at every repaint
            grid.visible = False
        lines = figure.line(x=self._lines[:, 0], y=self._lines[:, 1], line_color=colour, line_width=0.7)
        self._line_sources.append(lines.data_source)
        ring = ColumnDataSource(self.marker_data(self.selection.point))
        figure.scatter(
            "x", "y", source=ring, marker="circle", size=14, fill_alpha=0, line_color="cyan", line_width=2.5
        )
        self._marker_sources.append(ring)
        for tap in figure.select(type=TapTool):  # a tap hit-tests the field, not the lines or the ring
            tap.renderers = [plot.handles["glyph_renderer"]]

    @param.depends("selection.point", watch=True)
    def _mark_point(self) -> None:
        data, rings = self.marker_data(self.selection.point), list(self._marker_sources)

        def write() -> None:
            for ring in rings:
                ring.data = dict(data)

        change_models(rings, write)

    @property
    def station_layers(self) -> dict[str, hv.Points]:
        """Each method's stations as points coloured by bias (product - station), one scale for all maps."""
        scores = self.comparison.station_scores
        if scores is None or scores.empty:
            return {}
        limit = max(float(np.nanmax(np.abs(scores["bias"].to_numpy(dtype="float64")), initial=0.0)), 1e-3)
        dims = ["bias", "name", "n", "rmse", "r"]
        out = {}
        for name, table in scores.groupby("product", sort=False):
            x, y = self._points_plane(table["lon"].to_numpy(), table["lat"].to_numpy())
            data = table[dims].assign(x=x, y=y)
            out[name] = gv.Points(data, kdims=["x", "y"], vdims=dims, label="stations", crs=self.crs).opts(
                projection=self.crs,
                color="bias",
                cmap=DIVERGING,
                clim=(-limit, limit),
                size=9,
                line_color="black",
                tools=["hover"],
                hover_tooltips=[
                    ("station", "@name"),
                    ("N", "@n"),
                    (f"bias ({UNITS})", "@bias{+0.00}"),
                    (f"RMSE ({UNITS})", "@rmse{0.00}"),
                    ("R", "@r{0.000}"),
                ],
            )
        return out

    def _plate_values(self, panel: MapPanel):
        """A plate carrée map's x and y (the field's longitudes shifted to the plane's x, its latitudes) and
        its values at an hour."""
        field = self.comparison.fields[panel.field]
        return self._plate_x(field["lon"].values), field["lat"].values, partial(self.frame, panel)

    def _dynamic(self, panel: MapPanel):
        field = self.comparison.fields[panel.field]
        vdim = "difference" if panel.difference else "pm25"
        crs = self.crs
        if self._plate():  # the field as it is
            x, y, values = self._plate_values(panel)
        else:  # resampled onto the projected plane once per hour
            raster = self._raster(field)
            x, y = raster.x, raster.y

            def values(hour: pd.Timestamp) -> np.ndarray:
                return raster(self.frame(panel, hour))

        def image(hour: int) -> gv.Image:
            frame = values(self.selection.time(self.comparison.hours))
            return gv.Image((x, y, frame), kdims=["x", "y"], vdims=[vdim], crs=crs)

        # datashader regrids large fields to the screen's pixels on every pan/zoom, so an hour is a new
        # HoloViews frame; a field with fewer cells than that (or a reprojected raster) is drawn as it is,
        # and an hour change writes its new pixels straight into the plot's Bokeh source (`_show_hour`):
        # HoloViews' own update costs about 0.14 s a map, too slow for the hour player
        if self._plate() and x.size * y.size > RASTERIZE_ABOVE:
            return rasterize(hv.DynamicMap(image, streams=dict(hour=self.selection.param.hour)))
        self._fixed[panel] = FixedMap(values, flip=bool(y[0] > y[-1]))
        return image(self.selection.hour)

    def _remember(self, panel: MapPanel, plot, element) -> None:
        """A hook (HoloViews runs it as a plot is made and as it updates): the Bokeh plot of a fixed map,
        once per page that draws it."""
        if plot not in self._fixed[panel].plots:
            self._fixed[panel].plots.append(plot)

    @param.depends("selection.hour", watch=True)
    def _show_hour(self) -> None:
        hour = self.selection.time(self.comparison.hours)
        if hour is None:
            return
        fields = self.comparison.fields
        for panel, fixed in self._fixed.items():
            if panel.field not in fields or (panel.difference and TRUTH not in fields):
                continue  # new fields: their maps are about to be built
            frame = fixed.values(hour)
            for plot in fixed.plots:
                plot.handles["source"].data["image"] = [frame[::-1] if fixed.flip else frame]

    def _tapped(self, x, y) -> None:
        if x is not None and y is not None:
            point = self.to_lonlat(x, y)
            if point is not None:
                self.selection.point = point

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
                pn.widgets.Select.from_param(self.param.projection, width=260, css_classes=["w-projection"]),
            ),
            self._pane,
            sizing_mode="stretch_width",
        )
