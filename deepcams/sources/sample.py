"""The real sample shipped with the package: four CAMS and four GEOS-CF frames (see deepcams/data/README.md)."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

import xarray as xr

from deepcams.io import open_dataset

ATTRIBUTION = (
    "Generated using Copernicus Atmosphere Monitoring Service information 2019-2020; "
    "GEOS-CF PM2.5 courtesy of NASA GMAO; frames from the DeepCAMS repository "
    "(Xiao et al., Science of The Total Environment 848, 157747, 2022)"
)
SAMPLE_CAMS = "sample_cams.nc"
SAMPLE_GEOSCF = "sample_geoscf.nc"


def sample_file(name: str) -> Traversable:
    """Where a packaged sample file lives (scripts/package_sample.py writes them there)."""
    return files("deepcams") / "data" / name


def open_sample_cams() -> xr.Dataset:
    """Real CAMS EAC4 PM2.5, 2019-12-31 15 UTC to 2020-01-01 00 UTC (the Australian Black Summer fires)."""
    return open_dataset(sample_file(SAMPLE_CAMS)).load()


def open_sample_geoscf() -> xr.Dataset:
    """Real GEOS-CF PM2.5, four consecutive hours; three longitude bands are NaN (held back upstream).

    The absolute date is unknown; the time axis is nominal (see the `time_note` attribute).
    """
    return open_dataset(sample_file(SAMPLE_GEOSCF)).load()
