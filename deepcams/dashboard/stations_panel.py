"""The run against the stations in the field's terms: `validate`'s statistics per product, the FAIRMODE target
diagram, and one station's observed series beside each product's series there.

The panel opens collapsed and validates only once opened, so the page opens no slower. The CAMS input is
scored too, as the reference every method must beat. Products are averaged to match the station product
(`window`: hourly, trailing 24-hour or daily means, as `deepcams validate --window`).
"""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr

from deepcams.dashboard.comparison import INPUT, Comparison
from deepcams.dashboard.maps import CANVAS, size_by_frame
from deepcams.dashboard.selection import Selection
from deepcams.dashboard.series import PALETTE
from deepcams.errors import DeepcamsError
from deepcams.validation import WINDOWS, ValidationResult, target_points, validate

TABLE_COLUMNS = ["product", "stations", "n", "r", "rmse", "mae", "bias", "nmb", "nme", "mfb", "mfe", "fac2",
                 "ioa", "mqi90"]  # fmt: skip
FORMATS = {"r": "{:.2f}", "fac2": "{:.2f}", "ioa": "{:.2f}", "mqi90": "{:.1f}"} | {
    name: "{:,.1f}" for name in ("rmse", "mae", "bias", "nmb", "nme", "mfb", "mfe")
}
INPUT_COLOUR = "#d62728"  # the input's colour in the page's series chart
TAP_REACH = 0.3  # degrees: a tap this close to a station (a few map pixels) picks it
SYMLOG_ABOVE = 5.0  # the target diagram turns logarithmic beyond 1 when points reach this far, as plot_target


def symlog(values: np.ndarray) -> np.ndarray:
    """Linear inside +-1, log10 beyond (so the MQI = 1 circle stays a circle while far stations still fit)."""
    v = np.asarray(values, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(v) <= 1, v, np.sign(v) * (1 + np.log10(np.abs(v))))


def symlog_ticks(reach: float) -> list[tuple[float, str]]:
    """Axis ticks at the true values 0, +-1, +-10, ... up to `reach`, placed on the symlog axis."""
    decades = [10.0**k for k in range(int(np.ceil(np.log10(max(reach, 1.0)))) + 1)]
    values = sorted({0.0, *decades, *(-d for d in decades)})
    return [(float(symlog(v)), f"{v:g}") for v in values]


class StationsPanel(pn.viewable.Viewer):
    """`validate` of the run shown: a table per product, the target diagram, a station's series (chosen
    in the list, or by a tap on the maps near it)."""

    comparison = param.ClassSelector(class_=Comparison)
    window = param.Selector(
        objects=list(WINDOWS), default="hourly", doc="How the products are averaged to match the stations"
    )
    station = param.Selector(objects={}, allow_None=True, doc="The station whose series is shown")
    selection = param.ClassSelector(
        class_=Selection,
        default=None,
        allow_None=True,
        doc="The maps' selection: a tap on a station picks it",
    )
    open = param.Boolean(False, doc="Whether the panel is open: it validates only then")
    validation = param.ClassSelector(class_=ValidationResult, default=None, allow_None=True)
    problem = param.String("", doc="Why there is no validation, one line")

    def __init__(self, **params):
        super().__init__(**params)
        self._scored_for = None  # (request, window) of `validation`: reopening the panel does not redo it
        self._card = pn.Card(
            pn.Row(
                pn.pane.Markdown("**Products averaged as:**"),
                pn.widgets.RadioButtonGroup.from_param(self.param.window),
                self.note,
            ),
            pn.Row(self.table, self.target),
            pn.widgets.Select.from_param(self.param.station, name="Station", width=320),
            self.series,
            title="Stations: statistics, target diagram, series",
            collapsed=not self.open,
            sizing_mode="stretch_width",
            css_classes=["stations-panel"],
        )
        self._card.param.watch(lambda event: setattr(self, "open", not event.new), "collapsed")
        self._validate()

    def products(self) -> dict[str, xr.Dataset]:
        """The CAMS input of the run shown, then each method's result."""
        c = self.comparison
        return {c.label(INPUT): c.fields[INPUT].to_dataset(), **c.results}

    @param.depends("open", "window", "comparison.request", watch=True)
    def _validate(self) -> None:
        c = self.comparison
        if not self.open or (c.request, self.window) == self._scored_for:
            return
        validation, problem = None, ""
        stations = c.station_table()
        if c.request is None:
            problem = "Run a comparison to validate it against the stations."
        elif stations is None:
            problem = (
                "No stations for this dataset: start the app with --stations FILE "
                "(OpenAQ, EEA or any CSV) to validate against monitors."
            )
        else:
            try:
                validation = validate(self.products(), stations, window=self.window)
            except DeepcamsError as exc:
                problem = str(exc)
        self._scored_for = (c.request, self.window)
        places = {} if validation is None else self._station_options(validation)
        self.param.station.objects = places
        station = self.station if self.station in places.values() else next(iter(places.values()), None)
        self.param.update(validation=validation, problem=problem, station=station)

    @param.depends("selection.point", watch=True)
    def _tapped(self) -> None:
        """A tap on the maps within TAP_REACH degrees of a validated station shows that station."""
        point = None if self.selection is None else self.selection.point
        if point is None or self.validation is None:
            return
        places = self.validation.pairs.drop_duplicates("station")
        distance = np.hypot(places["lon"] - point[0], places["lat"] - point[1])
        if distance.min() <= TAP_REACH:
            self.station = places["station"].iloc[int(np.argmin(distance.to_numpy()))]

    @staticmethod
    def _station_options(validation: ValidationResult) -> dict[str, str]:
        stations = validation.per_station.drop_duplicates("station").sort_values("name")
        return {
            f"{name} ({station})": station
            for station, name in zip(stations["station"], stations["name"], strict=True)
        }

    def colours(self) -> dict[str, str]:
        """One colour per product, the same in the diagram and the series (and as in `SeriesChart`)."""
        names = [] if self.validation is None else list(self.validation.overall["product"])
        reference = self.comparison.label(INPUT)
        methods = iter(PALETTE * len(names))
        return {name: INPUT_COLOUR if name == reference else next(methods) for name in names}

    @param.depends("validation", "problem", "comparison.dataset")
    def note(self):
        if self.validation is None:
            return pn.pane.Alert(
                self.problem,
                alert_type="warning",
                visible=bool(self.problem),
                css_classes=["stations-problem"],
            )
        return pn.pane.Markdown(
            f"{self.validation.describe()}. {self.comparison.source.stations_note}",
            css_classes=["stations-note"],
        )

    def overall(self) -> pd.DataFrame:
        """`validate`'s statistics over all stations, one row per product (empty before a validation)."""
        if self.validation is None:
            return pd.DataFrame(columns=TABLE_COLUMNS)
        return self.validation.overall[TABLE_COLUMNS].reset_index(drop=True)

    @param.depends("validation")
    def table(self):
        if self.validation is None:
            return pn.pane.Markdown("")
        styler = (
            self.overall()
            .style.hide(axis="index")
            .format(FORMATS)
            .set_table_styles([{"selector": "th, td", "props": "padding: 3px 8px; text-align: right"}])
        )
        return pn.pane.HTML(styler.to_html(), css_classes=["stations-table"])

    def target_diagram(self) -> hv.Overlay | None:
        """The FAIRMODE target diagram: one scatter per product, a point per station (`target_points`)."""
        if self.validation is None:
            return None
        points = target_points(self.validation)
        reach = max(1.5, float(np.nanmax(np.abs(points[["x", "y"]].to_numpy()))) * 1.1)
        scaled = reach > SYMLOG_ABOVE
        shown = points.assign(
            px=symlog(points["x"]) if scaled else points["x"],
            py=symlog(points["y"]) if scaled else points["y"],
        )
        angle = np.linspace(0, 2 * np.pi, 181)
        circles = [
            hv.Curve((radius * np.cos(angle), radius * np.sin(angle)), label=label).opts(
                color="grey", line_dash=dash, line_width=1
            )
            for radius, dash, label in ((1.0, "solid", "MQI = 1: objective met inside"), (0.5, "dotted", ""))
        ]
        tooltips = [("station", "@name"), ("MQI", "@mqi{0.00}"), ("x", "@x{0.00}"), ("y", "@y{0.00}")]
        colours = self.colours()
        scatters = [
            hv.Scatter(
                shown[shown["product"] == name], "px", ["py", "name", "mqi", "x", "y"], label=name
            ).opts(color=colours[name], size=7, alpha=0.75, tools=["hover"], hover_tooltips=tooltips)
            for name in colours
        ]
        limit = float(symlog(reach)) if scaled else reach
        ticks = {"xticks": symlog_ticks(reach), "yticks": symlog_ticks(reach)} if scaled else {}
        axes = [
            hv.HLine(0).opts(color="lightgrey", line_width=1),
            hv.VLine(0).opts(color="lightgrey", line_width=1),
        ]
        return hv.Overlay([*axes, *circles, *scatters]).opts(
            frame_width=380,
            frame_height=380,
            hooks=[size_by_frame],
            backend_opts=CANVAS,
            xlim=(-limit, limit),
            ylim=(-limit, limit),
            xlabel="CRMSE / (β RMS_U)  (left: R dominates, right: σ)",
            ylabel="bias / (β RMS_U)",
            title="FAIRMODE target diagram" + (" (log beyond ±1)" if scaled else ""),
            legend_position="bottom_right",
            show_grid=False,
            **ticks,
        )

    @param.depends("validation")
    def target(self):
        diagram = self.target_diagram()
        if diagram is None:
            return pn.pane.Markdown("")
        return pn.pane.HoloViews(diagram, css_classes=["target-diagram"], linked_axes=False)

    def station_series(self) -> pd.DataFrame:
        """The selected station's pairs: one row per time, `observed` and a column per product (averaged
        as the validation averages them), empty without a station."""
        if self.validation is None or self.station is None:
            return pd.DataFrame()
        pairs = self.validation.pairs[self.validation.pairs["station"] == self.station]
        table = pairs.pivot_table(index="time", columns="product", values="predicted", sort=True)
        table = table[[name for name in self.colours() if name in table]]
        observed = pairs.drop_duplicates("time").set_index("time")["observed"]
        return pd.concat([observed, table], axis=1, sort=True).rename_axis(columns=None)

    @param.depends("validation", "station")
    def series(self):
        table = self.station_series()
        if table.empty:
            return pn.pane.Markdown("")
        colours = self.colours()
        observed = (table.index, table["observed"])
        elements = [
            hv.Curve(observed, "time", "pm25", label="station").opts(color="black", line_width=2.5),
            hv.Scatter(observed, "time", "pm25", label="station").opts(color="black", size=5),
        ]
        for name in table.columns.drop("observed"):
            values = table[name].dropna()  # the 3-hourly input pairs at its own hours only
            line = hv.Curve((values.index, values), "time", "pm25", label=name)
            elements.append(line.opts(color=colours[name], line_width=2))
            if name == self.comparison.label(INPUT):
                elements.append(hv.Scatter(line).opts(color=colours[name], size=8, marker="square"))
        label = next(k for k, v in self.param.station.names.items() if v == self.station)
        overlay = hv.Overlay(elements).opts(
            responsive=True,
            height=280,
            title=f"{label}: station and products ({self.validation.window})",
            ylabel="PM2.5 (µg m⁻³)",
            xlabel="time (UTC)",
            legend_position="right",
            framewise=True,
            show_grid=True,
            backend_opts=CANVAS,
        )
        return pn.pane.HoloViews(overlay, sizing_mode="stretch_width", css_classes=["station-series"])

    def __panel__(self):
        return self._card
