"""The small global overview map: shows the chosen box and lets the user draw a new one (box select), and
marks where the shipped weights were trained (orange) and validated (green), read from their metadata."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh backend's plot options)
import numpy as np
import panel as pn
import param

from deepcams.dashboard import coastlines
from deepcams.dashboard.comparison import Comparison
from deepcams.dashboard.insample import shipped
from deepcams.dashboard.maps import CANVAS, size_by_frame
from deepcams.errors import DeepcamsError
from deepcams.grids import wrap_lon


def box_rectangles(
    west: float, south: float, east: float, north: float
) -> list[tuple[float, float, float, float]]:
    """The box as rectangles on a -180..180 map: two pieces when it crosses the antimeridian."""
    west, east = float(wrap_lon(west)), float(wrap_lon(east))
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
            frame_height=180,
            tools=["box_select"],
            active_tools=["box_select"],
            xlabel="lon",
            ylabel="lat",
            title="Drag a box to choose the region (orange: trained, green: held out)",
            toolbar="above",
            hooks=[size_by_frame],
            backend_opts=CANVAS,
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
        return image * coast * self.bands() * box

    def bands(self) -> hv.Overlay:
        """The shipped weights' training bands (orange) and validation band (green), pole to pole."""
        trained, held_out = set(), set()
        for training in shipped():
            trained |= set(training.train_bands)
            if training.val_band is not None:
                held_out.add(training.val_band)
        style = dict(fill_alpha=0.12, line_alpha=0.8, line_width=1, line_dash="dashed")
        return hv.Rectangles([(w, -90, e, 90) for w, e in sorted(trained)], label="trained").opts(
            fill_color="orange", line_color="orange", **style
        ) * hv.Rectangles([(w, -90, e, 90) for w, e in sorted(held_out)], label="held out").opts(
            fill_color="limegreen", line_color="limegreen", **style
        )

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
