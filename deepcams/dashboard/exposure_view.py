"""The run as exposure: each method's daily means and the days over the WHO 2021 24-hour guideline
(`deepcams.exposure.aggregate`), as a table of area-weighted daily means and exceedance shares and a map of
one method's days over the guideline.

Like the station panel it opens collapsed and aggregates only once opened. A run of a few hours has no day
with the usual 75 % of its hours: the coverage control lowers that rule, and the page says so.
"""

from __future__ import annotations

import zoneinfo

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr

from deepcams.dashboard.comparison import Comparison
from deepcams.dashboard.maps import lonlat_map
from deepcams.errors import DeepcamsError
from deepcams.exposure import MIN_COVERAGE, WHO_24H, aggregate
from deepcams.grids import area_weights, grid_of

DAYS = "days_over_24h_guideline"


def check_timezone(name: str) -> None:
    """A one-line error for a name that is not an IANA time zone."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DeepcamsError(
            f"unknown time zone {name!r}: give an IANA name such as UTC or Australia/Sydney"
        ) from None


def daily_exposure(products: xr.Dataset) -> pd.DataFrame:
    """Per day of `aggregate`'s products: the area-weighted daily mean and the share of the area (with a
    daily mean) above the WHO 24-hour guideline."""
    daily = products["daily_mean"]
    rows = xr.DataArray(area_weights(daily["lat"].values, grid_of(daily).step), coords={"lat": daily["lat"]})
    over = (daily > WHO_24H).where(daily.notnull())
    table = pd.DataFrame(
        {
            "mean": daily.weighted(rows).mean(("lat", "lon")).values,
            "area_over_who": over.weighted(rows).mean(("lat", "lon")).values,
        },
        index=pd.DatetimeIndex(daily["day"].values, name="day"),
    )
    return table.dropna(how="all")


class ExposureView(pn.viewable.Viewer):
    """Daily means and WHO exceedances of the run shown, per method."""

    comparison = param.ClassSelector(class_=Comparison)
    method = param.Selector(objects=[], allow_None=True, doc="The method whose days over 15 are mapped")
    timezone = param.String("UTC", doc="Days are those of this time zone (IANA name)")
    min_coverage = param.Number(
        MIN_COVERAGE, bounds=(0.05, 1.0), step=0.05, doc="Share of a day's hours its daily mean needs"
    )
    open = param.Boolean(False, doc="Whether the view is open: it aggregates only then")
    products = param.Dict(default={}, doc="Method -> deepcams.exposure.aggregate of its result, computed")
    problem = param.String("", doc="Why there is nothing to show, one line")

    def __init__(self, **params):
        super().__init__(**params)
        self._done_for = None  # what `products` were computed for: reopening the view does not redo them
        self._card = pn.Card(
            pn.Row(
                pn.widgets.TextInput.from_param(self.param.timezone, name="Days of time zone", width=200),
                pn.widgets.FloatSlider.from_param(self.param.min_coverage, name="Day coverage", width=200),
                pn.widgets.Select.from_param(self.param.method, name="Map of", width=200),
            ),
            self.note,
            pn.Row(self.table, self.days_map),
            title=f"Exposure: daily means and days over the WHO 24-hour guideline ({WHO_24H:g} µg m⁻³)",
            collapsed=not self.open,
            sizing_mode="stretch_width",
            css_classes=["exposure-view"],
        )
        self._card.param.watch(lambda event: setattr(self, "open", not event.new), "collapsed")
        self._aggregate()

    @param.depends("open", "timezone", "min_coverage", "comparison.request", watch=True)
    def _aggregate(self) -> None:
        c = self.comparison
        key = (c.request, self.timezone, self.min_coverage)
        if not self.open or key == self._done_for:
            return
        self._done_for = key
        products, problem = {}, ""
        try:
            if c.request is None:
                raise DeepcamsError("Run a comparison to see its daily means and WHO exceedances.")
            check_timezone(self.timezone)
            products = {
                name: aggregate(ds, timezone=self.timezone, min_coverage=self.min_coverage).load()
                for name, ds in c.results.items()
            }
            if not any(p["daily_mean"].notnull().any() for p in products.values()):
                hours = len(c.hours)
                raise DeepcamsError(
                    f"no {self.timezone} day of this run ({hours} hours) has {self.min_coverage:.0%} of its "
                    "hours: lower the day coverage to see partial days"
                )
        except DeepcamsError as exc:
            products, problem = {}, str(exc)
        names = list(products)
        self.param.method.objects = names
        method = self.method if self.method in names else next(iter(names), None)
        self.param.update(products=products, problem=problem, method=method)

    @param.depends("problem", "products")
    def note(self):
        if self.problem:
            return pn.pane.Alert(self.problem, alert_type="warning", css_classes=["exposure-problem"])
        if not self.products:
            return pn.pane.Markdown("")
        return pn.pane.Markdown(
            f"Days of {self.timezone}; a daily mean needs {self.min_coverage:.0%} of the day's hours "
            f"(the usual rule: {MIN_COVERAGE:.0%}). Means and shares are area-weighted over the region."
        )

    def daily_table(self) -> pd.DataFrame:
        """Per method and day: the area-weighted daily mean and the area share above the guideline."""
        tables = [daily_exposure(p).reset_index().assign(method=name) for name, p in self.products.items()]
        columns = ["method", "day", "mean", "area_over_who"]
        return pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)

    def days_over(self, method: str) -> xr.DataArray:
        """(lat, lon) days over the guideline in the run, NaN where no day has a daily mean."""
        return self.products[method][DAYS].sum("year", min_count=1)

    @param.depends("products")
    def table(self):
        table = self.daily_table()
        if table.empty:
            return pn.pane.Markdown("")
        shown = table.assign(
            day=table["day"].dt.strftime("%Y-%m-%d"), area_over_who=100 * table["area_over_who"]
        )
        shown.columns = ["method", "day", "daily mean (µg m⁻³)", f"area over {WHO_24H:g} (%)"]
        styler = (
            shown.style.hide(axis="index")
            .format({shown.columns[2]: "{:.1f}", shown.columns[3]: "{:.0f}"})
            .set_table_styles([{"selector": "th, td", "props": "padding: 3px 8px; text-align: right"}])
        )
        return pn.pane.HTML(styler.to_html(), css_classes=["exposure-table"])

    def days_image(self) -> hv.Overlay | None:
        """The chosen method's days over the guideline, with coastlines (plate carrée, no tiles)."""
        if self.method not in self.products:
            return None
        days = self.days_over(self.method)
        top = max(float(np.nanmax(days.values)) if days.notnull().any() else 0.0, 1.0)
        image = lonlat_map(
            days, DAYS, "white", cmap="viridis", clim=(0, top), clabel=f"days over {WHO_24H:g} µg m⁻³"
        )
        return image.opts(title=f"{self.method}: days over the WHO 24-hour guideline")

    @param.depends("products", "method")
    def days_map(self):
        image = self.days_image()
        if image is None:
            return pn.pane.Markdown("")
        return pn.pane.HoloViews(image, css_classes=["exposure-map"], linked_axes=False)

    def __panel__(self):
        return self._card
