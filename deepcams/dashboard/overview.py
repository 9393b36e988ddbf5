"""The small global overview map: shows the chosen box and lets the user draw a new one (box select)."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import numpy as np
import panel as pn
import param

from deepcams.dashboard import coastlines
from deepcams.dashboard.comparison import Comparison
from deepcams.errors import DeepcamsError


def box_rectangles(
    west: float, south: float, east: float, north: float
) -> list[tuple[float, float, float, float]]:
    """The box as rectangles on a -180..180 map: two pieces when it crosses the antimeridian."""
    west, east = ((west + 180) % 360) - 180, ((east + 180) % 360) - 180
    if east <= west and not (west == -180 and east == -180):
        return [(west, south, 180.0, north), (-180.0, south, east, north)]
    return [(west, south, east if east > west else 180.0, north)]


class Overview(pn.viewable.Viewer):
    """Global map of the dataset's first input frame; drag a box (box-select tool) to choose the region."""

    comparison = param.ClassSelector(class_=Comparison)

    def __init__(self, **params):
        super().__init__(**params)
        # linked_axes=False: the global overview must not drive the regional maps (same lon/lat dimensions)
        self._pane = pn.pane.HoloViews(
            self._plot(), min_height=200, linked_axes=False, css_classes=["overview"]
        )

    @param.depends("comparison.dataset", watch=True)
    def _dataset_changed(self) -> None:
        try:
            self._pane.object = self._plot()
        except DeepcamsError:
            self._pane.object = None  # the comparison reports why the dataset cannot be read

    def _plot(self):
        cams = self.comparison.source.cams
        first = np.asarray(cams["pm25"].isel(time=0).values)
        image = hv.Image((cams["lon"].values, cams["lat"].values, first), ["lon", "lat"], "pm25").opts(
            cmap="inferno",
            cnorm="log",
            clim=(0.5, max(float(np.nanmax(first)), 1.0)),
            frame_width=360,
            aspect=2,
            tools=["box_select"],
            active_tools=["box_select"],
            xlabel="lon",
            ylabel="lat",
            title="Overview: drag a box to choose the region",
            toolbar="above",
        )
        bounds = hv.streams.BoundsXY(source=image, bounds=None)
        bounds.add_subscriber(self._drawn)
        box = hv.DynamicMap(
            self._box,
            streams=dict(
                west=self.comparison.param.west,
                south=self.comparison.param.south,
                east=self.comparison.param.east,
                north=self.comparison.param.north,
            ),
        )
        coast = hv.Path([coastlines.lines("coastline", "110m")], ["lon", "lat"]).opts(
            color="white", line_width=0.6
        )
        return image * coast * box

    def _box(self, west, south, east, north):
        return hv.Rectangles(box_rectangles(west, south, east, north)).opts(
            fill_alpha=0.1, line_color="cyan", line_width=2, fill_color="cyan"
        )

    def _drawn(self, bounds) -> None:
        if bounds is None:
            return
        west, south, east, north = bounds
        self.comparison.set_box(max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))

    def __panel__(self):
        return self._pane
