"""Linked maps of every source at one hour (large fields rasterized by datashader), coastlines on top.

All maps sit in one HoloViews layout, so they share their lon/lat axes (pan or zoom one, all follow) and
one colour scale; difference maps (method minus truth) use a diverging colormap centred on zero. With
station files configured, each method's map carries that method's stations as points coloured by its bias
at the station over the run's hours, on a diverging colormap centred on zero.
"""

from __future__ import annotations

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


class MapGrid(pn.viewable.Viewer):
    """The maps of a `Comparison`'s fields at the chosen hour; a tap sets the time-series point."""

    comparison = param.ClassSelector(class_=Comparison)
    hour = param.Integer(0, bounds=(0, None), doc="Index into the hours shown")
    log_scale = param.Boolean(True, label="Log colour scale")
    cmap = param.Selector(objects=COLORMAPS, default="inferno", label="Colormap")
    differences = param.Boolean(True, label="Difference maps (method - truth)")
    point = param.NumericTuple(default=None, length=2, allow_None=True, doc="(lon, lat) tapped")
    view = param.Dict(default={}, doc="Current x_range and y_range of the linked maps")
    width = param.Integer(250, doc="Frame width of each map in pixels")
    clim = param.NumericTuple(default=(0.1, 1.0), length=2, doc="The shared colour range (ug m-3)")
    diff_limit = param.Number(1.0, doc="Difference maps span -diff_limit .. diff_limit")

    def __init__(self, **params):
        super().__init__(**params)
        self._pane = pn.pane.HoloViews(sizing_mode="stretch_width", min_height=300, css_classes=["maps"])
        self.player = pn.widgets.Player(
            label="Hour",
            start=0,
            end=0,
            value=0,
            interval=700,
            loop_policy="once",
            width=420,
            show_loop_controls=False,
        )
        self.player.link(self, value="hour")
        self.label = pn.pane.Markdown("", margin=(0, 10))
        self.images: list[hv.DynamicMap] = []  # the rasterized maps; their RangeXY streams follow pan/zoom
        self.station_layers: dict[str, hv.Points] = {}  # method -> its stations coloured by bias
        self._rebuild()

    @property
    def hours(self) -> pd.DatetimeIndex:
        times = set()
        for field in self.comparison.fields.values():
            times |= set(pd.DatetimeIndex(field["time"].values))
        return pd.DatetimeIndex(sorted(times))

    @property
    def current_hour(self) -> pd.Timestamp | None:
        hours = self.hours
        return hours[min(self.hour, len(hours) - 1)] if len(hours) else None

    def frame(self, name: str, hour: pd.Timestamp) -> np.ndarray:
        """One map's values at `hour`: a source, or `"<method> - truth"` (the PNG export draws the same)."""
        fields = self.comparison.fields
        if name.endswith(" - truth"):
            method = name.removesuffix(" - truth")
            return frame_at(fields[method], hour) - frame_at(fields[TRUTH], hour)
        return frame_at(fields[name], hour, latest=name == INPUT)

    def names(self) -> list[str]:
        """The maps shown, in order: sources, then differences when there is a truth."""
        fields = self.comparison.fields
        names = list(fields)
        if self.differences and TRUTH in fields:
            names += [f"{n} - truth" for n in self.comparison.results]
        return names

    @param.depends("hour", watch=True)
    def _hour_label(self) -> None:
        hour = self.current_hour
        self.label.object = "" if hour is None else f"**{hour:%Y-%m-%d %H:%M} UTC**"

    @param.depends("comparison.fields", "log_scale", "cmap", "differences", watch=True)
    def _rebuild(self) -> None:
        """Build the layout of maps for the current fields (a new run, colour or difference settings)."""
        hours = self.hours
        self.player.param.update(
            end=max(len(hours) - 1, 0), value=min(self.player.value, max(len(hours) - 1, 0))
        )
        self._hour_label()
        fields = self.comparison.fields
        if not fields:
            self._pane.object = None
            return
        clim = self.clim = colour_range([f.values for f in fields.values()], self.log_scale)
        lon = np.concatenate([f["lon"].values for f in fields.values()])
        lat = np.concatenate([f["lat"].values for f in fields.values()])
        extent = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
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
        panels = []
        for name, field in fields.items():
            image = self._dynamic(name, field).opts(
                cmap=self.cmap,
                cnorm="log" if self.log_scale else "linear",
                clim=clim,
                title=name,
                clabel="PM2.5 (ug m-3)",
                **common,
            )
            panels.append(image)
        truth = fields.get(TRUTH)
        if self.differences and truth is not None:
            diffs = {n: fields[n] for n in self.comparison.results}
            limit = self.diff_limit = self._diff_limit(diffs, truth)
            for name in diffs:
                panels.append(
                    self._dynamic(f"{name} - truth", fields[name]).opts(
                        cmap=DIVERGING,
                        cnorm="linear",
                        clim=(-limit, limit),
                        title=f"{name} - truth",
                        clabel="difference (ug m-3)",
                        **common,
                    )
                )
        self.images = panels
        self.station_layers = self._station_layers()
        overlays = []
        for k, (name, image) in enumerate(zip(self.names(), panels, strict=True)):
            tap = hv.streams.Tap(source=image, x=None, y=None)
            tap.add_subscriber(self._tapped)
            if k == 0:
                hv.streams.RangeXY(source=image).add_subscriber(self._ranged)
            overlay = image * lines.opts(color="white" if k < len(fields) else "black", clone=True)
            if name in self.station_layers:
                overlay = overlay * self.station_layers[name]
            overlays.append(overlay)
        self.view = {"x_range": (extent[0], extent[2]), "y_range": (extent[1], extent[3])}
        self._pane.object = hv.Layout(overlays).cols(3).opts(shared_axes=True)

    def _station_layers(self) -> dict[str, hv.Points]:
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

    def _diff_limit(self, diffs: dict[str, xr.DataArray], truth: xr.DataArray) -> float:
        """Half-width of the difference colour scale: the 99.5th percentile of |method - truth| (robust)."""
        spans = []
        for field in diffs.values():
            common = np.intersect1d(field["time"].values, truth["time"].values)
            if common.size:
                d = np.abs(field.sel(time=common).values - truth.sel(time=common).values)
                if np.isfinite(d).any():
                    spans.append(float(np.nanpercentile(d[:: max(1, d.shape[0] // 4)], 99.5)))
        return max(max(spans, default=1.0), 1e-3)

    def _dynamic(self, name: str, field: xr.DataArray):
        lon, lat = field["lon"].values, field["lat"].values
        vdim = "difference" if name.endswith(" - truth") else "pm25"

        def image(hour: int) -> hv.Image:
            values = self.frame(name, self.current_hour)
            return hv.Image((lon, lat, values), kdims=["lon", "lat"], vdims=[vdim])

        maps = hv.DynamicMap(image, streams=dict(hour=self.param.hour))
        # datashader regrids large fields to the screen's pixels on every pan/zoom; a field with fewer cells
        # than the map has pixels gains nothing from it, and skipping it saves building and re-running the
        # operation (HoloViews re-runs it once more when the new plot reports its ranges)
        return rasterize(maps) if lon.size * lat.size > RASTERIZE_ABOVE else maps

    def _tapped(self, x, y) -> None:
        if x is not None and y is not None:
            self.point = (float(x), float(y))

    def _ranged(self, x_range, y_range) -> None:
        if x_range is not None and y_range is not None:
            self.view = {"x_range": tuple(x_range), "y_range": tuple(y_range)}

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
