"""The run against its truth pixel by pixel: `deepcams.metrics.skill_maps` (bias, RMSE and R over the run's
hours, WeatherBench2-style) as a map and their area-weighted means as a table, and the radially averaged
power spectra (`deepcams.metrics.power_spectrum`) of each method and the truth, the effective resolution:
does a method add real fine detail or smooth it away.

Like the station panel it opens collapsed and scores only once opened, once per run. The spectra are taken
on the pixels where the truth and every method are finite, so a method's gaps do not count as lost detail.
"""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr

from deepcams.dashboard.comparison import TRUTH, Comparison
from deepcams.dashboard.maps import CANVAS, lonlat_map, size_by_frame
from deepcams.dashboard.series import PALETTE
from deepcams.errors import DeepcamsError
from deepcams.metrics import power_spectrum, skill_maps

METRICS = {"bias": "bias", "RMSE": "rmse", "R": "r"}  # selector label -> variable of `skill_maps`
COLOURMAPS = {"bias": "RdBu_r", "rmse": "viridis", "r": "PuOr"}
UNITS = {"bias": "µg m⁻³", "rmse": "µg m⁻³", "r": ""}
TRUTH_COLOUR = "black"


def colour_limits(metric: str, values: np.ndarray) -> tuple[float, float]:
    """Bias centred on 0, RMSE from 0, R over its whole range [-1, 1]."""
    if metric == "r":
        return (-1.0, 1.0)
    reach = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
    reach = max(reach, 1e-6)
    return (-reach, reach) if metric == "bias" else (0.0, reach)


class SkillView(pn.viewable.Viewer):
    """Skill maps, their area-weighted means and the power spectra of the run shown, per method."""

    comparison = param.ClassSelector(class_=Comparison)
    metric = param.Selector(objects=METRICS, default="bias", doc="The per-pixel score mapped")
    method = param.Selector(objects=[], allow_None=True, doc="The method whose skill is mapped")
    open = param.Boolean(False, doc="Whether the view is open: it scores only then")
    maps = param.Dict(default={}, doc="Method -> deepcams.metrics.skill_maps of its result, computed")
    spectra = param.Dict(default={}, doc="Product (methods, then the truth) -> power_spectrum, computed")
    problem = param.String("", doc="Why there is nothing to show, one line")

    def __init__(self, **params):
        super().__init__(**params)
        # the request `maps` were computed for (reopening does not redo them); none yet, not even no request
        self._done_for = object()
        self._card = pn.Card(
            pn.Row(
                pn.widgets.RadioButtonGroup.from_param(self.param.metric),
                pn.widgets.Select.from_param(self.param.method, name="Map of", width=200),
            ),
            self.note,
            pn.Row(self.skill_map, pn.Column(self.table, self.spectra_plot)),
            title="Skill maps and power spectra against the truth",
            collapsed=not self.open,
            sizing_mode="stretch_width",
            css_classes=["skill-view"],
        )
        self._card.param.watch(lambda event: setattr(self, "open", not event.new), "collapsed")
        self._score()

    @param.depends("open", "comparison.request", watch=True)
    def _score(self) -> None:
        c = self.comparison
        if not self.open or c.request == self._done_for:
            return
        self._done_for = c.request
        maps, spectra, problem = {}, {}, ""
        try:
            if c.request is None:
                raise DeepcamsError("Run a comparison to see its skill maps and power spectra.")
            if TRUTH not in c.fields:
                raise DeepcamsError(
                    "No truth to score in this dataset: skill maps and spectra need one "
                    "(a simulation dataset has it)."
                )
            truth = c.fields[TRUTH].to_dataset()
            maps = {name: skill_maps(ds, truth) for name, ds in c.results.items()}
            spectra = self._spectra(c.results, c.fields[TRUTH])
        except DeepcamsError as exc:
            maps, spectra, problem = {}, {}, str(exc)
        names = list(maps)
        self.param.method.objects = names
        method = self.method if self.method in names else next(iter(names), None)
        self.param.update(maps=maps, spectra=spectra, problem=problem, method=method)

    def _spectra(self, results: dict[str, xr.Dataset], truth: xr.DataArray) -> dict[str, xr.DataArray]:
        valid = truth.notnull()
        for ds in results.values():
            valid = valid & ds["pm25"].notnull()
        fields = {**{name: ds["pm25"] for name, ds in results.items()}, self.comparison.label(TRUTH): truth}
        return {name: power_spectrum(field.where(valid).to_dataset()) for name, field in fields.items()}

    @param.depends("problem", "maps")
    def note(self):
        if self.problem:
            return pn.pane.Alert(self.problem, alert_type="warning", css_classes=["skill-problem"])
        if not self.maps:
            return pn.pane.Markdown("")
        hours = len(self.comparison.hours)
        return pn.pane.Markdown(
            f"Per pixel over the run's {hours} hours against the {self.comparison.label(TRUTH)}; means are "
            "area-weighted over the region. A spectrum below the truth's at high wavenumbers has smoothed "
            "detail away; above it, added detail the truth does not have."
        )

    def aggregates(self) -> pd.DataFrame:
        """Per method, the area-weighted means of its skill maps (`skill_maps`' own `mean_*` attributes)."""
        columns = list(METRICS.values())
        rows = {name: [m.attrs[f"mean_{c}"] for c in columns] for name, m in self.maps.items()}
        return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("method")

    @param.depends("maps")
    def table(self):
        if not self.maps:
            return pn.pane.Markdown("")
        shown = self.aggregates().reset_index()
        shown.columns = ["method", "bias (µg m⁻³)", "RMSE (µg m⁻³)", "R"]
        styler = (
            shown.style.hide(axis="index")
            .format({shown.columns[1]: "{:.2f}", shown.columns[2]: "{:.2f}", shown.columns[3]: "{:.2f}"})
            .set_table_styles([{"selector": "th, td", "props": "padding: 3px 8px; text-align: right"}])
        )
        return pn.pane.HTML(styler.to_html(), css_classes=["skill-table"])

    def skill_image(self) -> hv.Overlay | None:
        """The chosen method's per-pixel score, with coastlines (plate carrée, no tiles)."""
        if self.method not in self.maps:
            return None
        field = self.maps[self.method][self.metric]
        label = next(k for k, v in METRICS.items() if v == self.metric)
        unit = UNITS[self.metric]
        image = lonlat_map(
            field, self.metric, "black", cmap=COLOURMAPS[self.metric],
            clim=colour_limits(self.metric, field.values), clabel=f"{label} ({unit})" if unit else label,
        )  # fmt: skip
        return image.opts(title=f"{self.method}: {label} per pixel")

    @param.depends("maps", "method", "metric")
    def skill_map(self):
        image = self.skill_image()
        if image is None:
            return pn.pane.Markdown("")
        return pn.pane.HoloViews(image, css_classes=["skill-map"], linked_axes=False)

    def spectra_curves(self) -> hv.Overlay | None:
        """One log-log curve of power against wavenumber per method, and the truth's (positive power only)."""
        if not self.spectra:
            return None
        truth = self.comparison.label(TRUTH)
        methods = iter(PALETTE * len(self.spectra))
        curves = []
        for name, spectrum in self.spectra.items():
            positive = spectrum.where(spectrum > 0, drop=True)
            colour = TRUTH_COLOUR if name == truth else next(methods)
            curve = hv.Curve(
                (positive["wavenumber"].values, positive.values), "wavenumber", "power", label=name
            )
            curves.append(curve.opts(color=colour, line_width=2.5 if name == truth else 2))
        return hv.Overlay(curves).opts(
            logx=True, logy=True, width=460, height=320, show_grid=True, legend_position="bottom_left",
            xlabel="wavenumber (cycles per degree)", ylabel="power ((µg m⁻³)²)",
            title="Radially averaged power spectra", hooks=[size_by_frame], backend_opts=CANVAS,
        )  # fmt: skip

    @param.depends("spectra")
    def spectra_plot(self):
        curves = self.spectra_curves()
        if curves is None:
            return pn.pane.Markdown("")
        return pn.pane.HoloViews(curves, css_classes=["skill-spectra"], linked_axes=False)

    def __panel__(self):
        return self._card
