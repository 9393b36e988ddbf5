"""What the user points at, shared by the views: the hour, the tapped point and the maps' view ranges.

The views follow one `Selection` instead of reading each other's attributes: the maps set it (player, tap,
pan/zoom) and draw its hour; the time series follows its point and marks its hour; the PNG export draws
its view.
"""

from __future__ import annotations

import pandas as pd
import param


class Selection(param.Parameterized):
    """The shared selection of the dashboard's views (None: nothing chosen yet)."""

    hour = param.Integer(0, bounds=(0, None), doc="Index into the comparison's hours")
    point = param.NumericTuple(default=None, length=2, allow_None=True, doc="(lon, lat) tapped on a map")
    x_range = param.NumericTuple(default=None, length=2, allow_None=True, doc="lon range; None: the region")
    y_range = param.NumericTuple(default=None, length=2, allow_None=True, doc="lat range; None: the region")

    def time(self, hours: pd.DatetimeIndex) -> pd.Timestamp | None:
        """The selected hour among `hours` (the last one when the index runs past them)."""
        return hours[min(self.hour, len(hours) - 1)] if len(hours) else None
