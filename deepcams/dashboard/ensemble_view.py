"""Where the added detail is reliable: the `deepcams-ensemble` result's spread (`pm25_spread`, the standard
deviation of its independently trained members, calibrated) as a map at the selected hour, absolute or
relative to the ensemble mean, with the run's CRPS and spread-skill ratio from the metrics table.

It draws only what the run already holds (no scoring of its own), so it follows the hour player. The band of
the quantiles is drawn in the time series (`SeriesChart`).
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param

from deepcams.dashboard.comparison import Comparison
from deepcams.dashboard.maps import frame_at, lonlat_map
from deepcams.dashboard.selection import Selection
from deepcams.methods import ENSEMBLE_METHOD
from deepcams.metrics import SPREAD
from deepcams.recipes import ENSEMBLE_SIZE

KINDS = ("spread (µg m⁻³)", "spread / mean")


class EnsembleView(pn.viewable.Viewer):
    """The ensemble's spread map at the selection's hour and its probabilistic scores."""

    comparison = param.ClassSelector(class_=Comparison)
    selection = param.ClassSelector(class_=Selection, doc="Shared with the other views (the hour)")
    kind = param.Selector(objects=KINDS, default=KINDS[0], doc="Absolute spread or relative to the mean")

    def __init__(self, **params):
        params.setdefault("selection", Selection())
        super().__init__(**params)
        # one pane, its object replaced: a new pane at every hour of the player (an empty one too, without
        # an ensemble) sent the page new models at each hour
        self._map = pn.pane.HoloViews(None, css_classes=["ensemble-map"], linked_axes=False, visible=False)
        self._card = pn.Card(
            pn.widgets.RadioButtonGroup.from_param(self.param.kind),
            self.note,
            self._map,
            title="Ensemble spread: where the added detail is reliable",
            collapsed=True,
            sizing_mode="stretch_width",
            css_classes=["ensemble-view"],
        )
        self._draw_spread()

    def product(self):
        """The run's ensemble result, or None."""
        result = self.comparison.results.get(ENSEMBLE_METHOD)
        return result if result is not None and SPREAD in result else None

    @param.depends("comparison.results", "comparison.metrics")
    def note(self):
        result = self.product()
        if result is None:
            return pn.pane.Markdown(
                f"Tick **{ENSEMBLE_METHOD}** and run to see the spread of its {ENSEMBLE_SIZE} independently "
                "trained members: large where they disagree on the detail.",
                css_classes=["ensemble-note"],
            )
        metrics = self.comparison.metrics
        scores = ""
        if metrics is not None and ENSEMBLE_METHOD in metrics.index and "crps" in metrics:
            row = metrics.loc[ENSEMBLE_METHOD]
            scores = (
                f" Against the truth: CRPS {row['crps']:.3f} µg m⁻³ (a single model's CRPS is its MAE), "
                f"spread / RMSE {row['spread_skill']:.2f} (1 when the spread matches the errors)."
            )
        return pn.pane.Markdown(
            f"Standard deviation of the {result.attrs.get('ensemble_size', '')} members, calibrated: "
            f"{result.attrs.get('spread_calibration', 'not calibrated')}. It covers the downscaling's own "
            f"uncertainty, not the input's errors.{scores}",
            css_classes=["ensemble-note"],
        )

    def spread_image(self):
        """The spread (or spread / mean) of the selected hour, with coastlines."""
        result = self.product()
        hours = self.comparison.hours
        if result is None or not len(hours):
            return None
        hour = self.selection.time(hours)
        spread = result[SPREAD]
        values = frame_at(spread, hour)
        if self.kind == KINDS[1]:
            mean = frame_at(result["pm25"], hour)
            values = np.where(mean > 0, values / np.where(mean > 0, mean, 1.0), np.nan)
        field = spread.isel(time=0, drop=True).copy(data=values)
        top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0  # the full range: none clipped
        image = lonlat_map(
            field, "spread", "white", cmap="magma", clim=(0.0, max(top, 1e-6)), clabel=self.kind
        )
        return image.opts(title=f"{self.kind}, {hour:%m-%d %H:%M} UTC")

    @param.depends("comparison.results", "selection.hour", "kind", watch=True)
    def _draw_spread(self) -> None:
        image = self.spread_image()
        self._map.param.update(object=image, visible=image is not None)

    def __panel__(self):
        return self._card
