"""The dashboard's components: param/Panel classes that compose library calls (served by `panel serve app`).

`Comparison` is the state (request -> results); `MapGrid`, `SeriesChart`, `MetricsTable` and `Overview`
are views of it; `Dashboard` puts them together. They work the same inline in Jupyter.
"""

from deepcams.dashboard.catalog import ENV_ROOTS, ENV_STATIONS, Source, catalog, roots_from, stations_from
from deepcams.dashboard.comparison import Comparison, Request
from deepcams.dashboard.dashboard import Dashboard
from deepcams.dashboard.maps import MapGrid
from deepcams.dashboard.overview import Overview
from deepcams.dashboard.regions import PRESETS
from deepcams.dashboard.series import MetricsTable, SeriesChart

__all__ = [
    "ENV_ROOTS",
    "ENV_STATIONS",
    "PRESETS",
    "Comparison",
    "Dashboard",
    "MapGrid",
    "MetricsTable",
    "Overview",
    "Request",
    "SeriesChart",
    "Source",
    "catalog",
    "roots_from",
    "stations_from",
]
