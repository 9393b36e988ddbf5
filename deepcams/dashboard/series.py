"""The time series of every source at the tapped point (also as CSV), and the metrics table with the best
values marked and in-sample scores labelled."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import pandas as pd
import panel as pn
import param
from bokeh.models import Span

from deepcams.dashboard.comparison import IN_SAMPLE, INPUT, TRUTH, Comparison
from deepcams.dashboard.document import change_models
from deepcams.dashboard.maps import CANVAS
from deepcams.dashboard.selection import Selection
from deepcams.grids import wrap_lon
from deepcams.metrics import HIGHER_IS_BETTER, PROBABILISTIC

COLUMNS = {
    "rmse": "RMSE",
    "mae": "MAE",
    "bias": "bias",
    "r": "R",
    "ssim": "SSIM",
    "crps": "CRPS",
    "spread_skill": "spread / RMSE",
    "n": "pixels",
}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def point_label(lon: float, lat: float) -> str:
    lon = float(wrap_lon(lon))
    return f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'}, {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"


class SeriesChart(pn.viewable.Viewer):
    """PM2.5 against time at the selection's point: CAMS as markers, hourly products as lines, truth in
    black, the selection's hour as a vertical line."""

    comparison = param.ClassSelector(class_=Comparison)
    selection = param.ClassSelector(class_=Selection, doc="Shared with the other views")

    def __init__(self, **params):
        params.setdefault("selection", Selection())
        super().__init__(**params)
        self._hour_lines: list[Span] = []  # the hour marker of each drawn chart
        self._pane = pn.pane.HoloViews(
            None, sizing_mode="stretch_width", css_classes=["series"], linked_axes=False
        )
        self._layers: tuple = ()  # what the chart on the page draws: each element's kind and label
        self._elements: list[hv.Element] = []  # what it draws next
        self._refresh = hv.streams.Counter()  # an event redraws that chart with `_elements`
        # one pane whose text changes: a new pane a tap would make the page walk all its models again
        self._title = pn.pane.Markdown("", css_classes=["series-title"], margin=(0, 10))
        self._draw()

    def point(self) -> tuple[float, float] | None:
        """The tapped point, or the centre of the region before any tap."""
        fields = self.comparison.fields
        if not fields:
            return None
        if self.selection.point is not None:
            return self.selection.point
        field = next(iter(fields.values()))
        return float(field["lon"].values.mean()), float(field["lat"].values.mean())

    def csv(self) -> str:
        """The series as CSV: one row per hour, one column per source (ug m-3), the point in the header."""
        series = self.series()
        if not series:
            return ""
        lon, lat = self.point()
        table = pd.DataFrame({self.comparison.label(n): s for n, s in series.items()})
        for name in series:  # an ensemble's quantiles beside its mean
            for column, values in self.quantiles(name).items():
                table[column] = values
        table.index.name = "time_utc"
        return f"# PM2.5 (ug m-3) at {point_label(lon, lat)} (nearest grid point)\n" + table.to_csv(
            float_format="%.4f"
        )

    def series(self) -> dict[str, pd.Series]:
        """Each source's values at the nearest grid point to `point()`."""
        where = self.point()
        if where is None:
            return {}
        lon, lat = where
        out = {}
        for name, field in self.comparison.fields.items():
            at = field.sel(lon=lon, lat=lat, method="nearest")
            out[name] = pd.Series(at.values, index=pd.DatetimeIndex(at["time"].values), name=name)
        return out

    def quantiles(self, name: str) -> dict[str, pd.Series]:
        """Result `name`'s quantiles at the point (an ensemble's `pm25_quantile`), by column label."""
        result = self.comparison.results.get(name)
        if result is None or "pm25_quantile" not in result or self.point() is None:
            return {}
        lon, lat = self.point()
        at = result["pm25_quantile"].sel(lon=lon, lat=lat, method="nearest")
        index = pd.DatetimeIndex(at["time"].values)
        return {
            f"{self.comparison.label(name)} {float(q):.0%}": pd.Series(at.sel(quantile=q).values, index=index)
            for q in at["quantile"].values
        }

    def band(self, name: str) -> hv.Area | None:
        """The outermost quantiles of result `name` at the point as a band, if it is an ensemble's."""
        columns = self.quantiles(name)
        if not columns:
            return None
        (low_label, low), *_, (high_label, high) = columns.items()
        label = f"{low_label} .. {high_label.rsplit(' ', 1)[-1]}"
        frame = pd.DataFrame({"time": low.index, "low": low.values, "high": high.values})
        return hv.Area(frame, "time", ["low", "high"], label=label)

    def hour_location(self) -> float | None:
        """The selection's hour on the chart's time axis (ms since 1970, as Bokeh's are), None without hours."""
        hour = self.selection.time(self.comparison.hours)
        return None if hour is None else pd.Timestamp(hour).value / 1e6

    def _draw_hour(self, plot, element) -> None:
        """A hook: the selection's hour as a dashed Bokeh span on the chart's figure, once. As a HoloViews
        element each hour of the player redrew the whole chart and recomputed its ranges."""
        figure = plot.state
        if any("deepcams-hour" in item.tags for item in figure.center):
            return
        line = Span(
            location=self.hour_location(),
            dimension="height",
            line_color="grey",
            line_dash="dashed",
            line_width=1,
            tags=["deepcams-hour"],
        )
        figure.add_layout(line)
        self._hour_lines.append(line)

    @param.depends("selection.hour", watch=True)
    def _move_hour(self) -> None:
        location, lines = self.hour_location(), list(self._hour_lines)

        def move() -> None:
            for line in lines:
                line.location = location

        change_models(lines, move)

    def title(self) -> pn.pane.Markdown:
        """The chart's title: where the series are."""
        return self._title

    def elements(self, blank: tuple[str, ...] = ()) -> list[hv.Element]:
        """The series' markers, bands and curves at the point (the chart adds the hour marker); methods
        `blank` (not run yet) as empty curves after the input."""
        series = self.series()
        if blank and series:
            empty = pd.Series([], index=pd.DatetimeIndex([]), dtype="float32")
            first, *rest = series.items()
            series = dict([first, *((name, empty) for name in blank), *rest])
        elements = []
        colours = iter(PALETTE)
        for name, values in series.items():
            data = pd.DataFrame({"time": values.index, "pm25": values.values})
            label = self.comparison.label(name)
            if name == INPUT:
                elements.append(
                    hv.Scatter(data, "time", "pm25", label=label).opts(
                        size=9, color="#d62728", marker="square"
                    )
                )
            elif name == TRUTH:
                elements.append(
                    hv.Curve(data, "time", "pm25", label=label).opts(color="black", line_width=2.5)
                )
            else:
                colour = next(colours)
                band = self.band(name)
                if band is not None:  # an ensemble's quantiles, under its mean
                    elements.append(band.opts(color=colour, alpha=0.25, line_alpha=0))
                elements.append(hv.Curve(data, "time", "pm25", label=label).opts(color=colour, line_width=2))
        return elements

    @param.depends("selection.point", "comparison.fields", "comparison.methods", watch=True)
    def _draw(self) -> None:
        """The chart for a new point or run: series drawn as the chart on the page draws them (the same
        sources, colours and labels) go into its figure through HoloViews' own update, 0.04 s against
        0.15-0.5 s for a new figure (docs/benchmarks.md); other series get a new chart."""
        where = self.point()
        text = (
            "Tap a map to see the time series there" if where is None else f"PM2.5 at {point_label(*where)}"
        )
        self._title.object = f"### {text}"
        elements = self._drawn_as(self._layers) if self._layers else None
        if elements is not None:
            self._elements = elements
            self._refresh.event()
            self._move_hour()  # a run of other days keeps the selection's index, not its time
            return
        # a preview's new chart (another dataset's labels) holds the ticked methods' curves, empty: the run
        # then draws into it instead of building a third chart (0.3 s of the server's click to maps)
        preview = not self.comparison.results and self.comparison.fields
        self._elements = self.elements(blank=tuple(self.comparison.methods) if preview else ())
        layers = self._layers = layers_of(self._elements)
        self._hour_lines = []
        self._refresh = hv.streams.Counter()
        self._pane.object = (
            hv.DynamicMap(self._overlay(layers), streams=[self._refresh]).opts(framewise=True)
            if layers
            else None
        )

    def _overlay(self, layers: tuple):
        """The chart's frames: the series at the point, while they are drawn as `layers` (a redraw that
        comes after a new chart replaced this one draws what it last drew)."""
        drawn = []

        def overlay(counter: int) -> hv.Overlay:
            elements = self._elements if layers_of(self._elements) == layers else drawn[-1]
            drawn[:] = [elements]
            # framewise on each layer too: else an update keeps the y range of the first point drawn
            return hv.Overlay([element.opts(framewise=True) for element in elements]).opts(
                hooks=[self._draw_hour],  # the hour marker follows the player without redrawing the curves
                responsive=True,
                height=280,
                ylabel="PM2.5 (µg m⁻³)",
                xlabel="time (UTC)",
                legend_position="right",
                framewise=True,
                show_grid=True,
                backend_opts=CANVAS,
            )

        return overlay

    def _drawn_as(self, layers: tuple) -> list[hv.Element] | None:
        """The series drawn as `layers`, or None. A preview (input and truth, no run yet) keeps a run's
        method curves, empty, while the methods ticked are theirs: the next run then draws into them."""
        elements = self.elements()
        if layers_of(elements) == layers:
            return elements
        if elements and not self.comparison.results:
            elements = self.elements(blank=tuple(self.comparison.methods))
            if layers_of(elements) == layers:
                return elements
        return None

    def chart(self) -> pn.pane.HoloViews:
        """The chart of the series at the point (empty before any field)."""
        return self._pane

    def __panel__(self):
        return pn.Column(self._title, self._pane, sizing_mode="stretch_width")


def layers_of(elements: list[hv.Element]) -> tuple:
    """A chart's elements as its figure draws them: their kinds and labels, in order."""
    return tuple((type(element).__name__, element.label) for element in elements)


def best_rows(table: pd.DataFrame) -> dict[str, str]:
    """For each metric column, the method with the best value (bias: the smallest magnitude)."""
    best = {}
    for column, higher in HIGHER_IS_BETTER.items():
        if column not in table or table[column].isna().all():
            continue
        values = table[column].abs() if higher is None else table[column]
        best[column] = values.idxmax() if higher else values.idxmin()
    return best


class MetricsTable(pn.viewable.Viewer):
    """deepcams.compare over the region and times of the last run; the best value of each column in bold."""

    comparison = param.ClassSelector(class_=Comparison)

    @param.depends("comparison.metrics", "comparison.results")
    def table(self):
        metrics = self.comparison.metrics
        if metrics is None:
            text = (
                "Run a comparison on a dataset with a truth to see metrics."
                if not self.comparison.results
                else ("No truth for this dataset and time range: no metrics.")
            )
            return pn.pane.Markdown(text)
        # an ensemble in the run adds its CRPS (every method's: a single model's is its MAE) and spread / RMSE
        probabilistic = [c for c in PROBABILISTIC if c in metrics]
        shown = metrics[["rmse", "mae", "bias", "r", "ssim", *probabilistic, "n"]].rename(columns=COLUMNS)
        shown["scored on"] = [
            scored_on(share) for share in metrics.get(IN_SAMPLE, pd.Series(index=metrics.index, dtype=float))
        ]
        best = {COLUMNS.get(k, k): v for k, v in best_rows(metrics).items()}

        def mark(column: pd.Series) -> list[str]:
            winner = best.get(column.name)
            return [
                "font-weight: bold; background-color: #d9f2d9" if i == winner else "" for i in column.index
            ]

        styler = (
            shown.style.apply(mark)
            .set_table_styles([{"selector": "th, td", "props": "padding: 3px 10px; text-align: right"}])
            .format(
                {c: "{:.3f}" for c in ("RMSE", "MAE", "bias", "R", "SSIM", COLUMNS["crps"])}
                | {COLUMNS["spread_skill"]: "{:.2f}", "pixels": "{:,.0f}"},
                subset=[c for c in shown.columns if c != "scored on"],
                na_rep="–",
            )
        )
        return pn.pane.HTML(styler.to_html(), css_classes=["metrics-table"])

    @param.depends("comparison.dataset")
    def heading(self):
        truth = self.comparison.label(TRUTH)
        return pn.pane.Markdown(
            f"**Metrics against the {truth}** (region and hours of the run, common pixels; best in green)"
        )

    def __panel__(self):
        return pn.Column(self.heading, self.table)


def scored_on(share: float) -> str:
    """The table's word for a learned method's scored pixels: held out, or in-sample (and how much)."""
    if pd.isna(share):
        return "no training"
    if share <= 0:
        return "held-out pixels"
    return "in-sample: all pixels" if share >= 1 else f"in-sample: {share:.0%} of pixels"
