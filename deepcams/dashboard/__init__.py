"""The dashboard's components: param/Panel classes that compose library calls (served by `panel serve app`).

`Comparison` is the state (request -> results); `MapGrid`, `SeriesChart`, `MetricsTable` and `Overview`
are views of it, the first two following one shared `Selection` (hour, point, view), as are `StationsPanel`
(the run against stations), `ExposureView` (daily means, WHO exceedances), `SkillView` (skill maps,
power spectra) and `EnsembleView` (the ensemble's spread); `Dashboard` puts them together (it opens on `start`, a first comparison). They work the
same inline in Jupyter.
"""

from deepcams.dashboard.comparison import Comparison, Request, prepare_in_background
from deepcams.dashboard.dashboard import Dashboard
from deepcams.dashboard.ensemble_view import EnsembleView
from deepcams.dashboard.exposure_view import ExposureView
from deepcams.dashboard.maps import MapGrid
from deepcams.dashboard.overview import Overview
from deepcams.dashboard.regions import PRESETS
from deepcams.dashboard.selection import Selection
from deepcams.dashboard.series import MetricsTable, SeriesChart
from deepcams.dashboard.skill_view import SkillView
from deepcams.dashboard.stations_panel import StationsPanel

__all__ = [
    "PRESETS",
    "Comparison",
    "Dashboard",
    "EnsembleView",
    "ExposureView",
    "MapGrid",
    "MetricsTable",
    "Overview",
    "Request",
    "Selection",
    "SeriesChart",
    "SkillView",
    "StationsPanel",
    "prepare_in_background",
]
