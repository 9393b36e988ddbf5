"""deepcams: CAMS PM2.5 downscaled to a 0.25 deg hourly product with deep learning (DeepCAMS).

The pipeline reads top to bottom: `deepcams.io` (readers, writers) -> `deepcams.grids` (alignment,
regions, coarsening) -> `deepcams.methods` (baselines, learned models) -> `deepcams.pipeline` (two-stage
downscaling) -> `deepcams.metrics`.
"""

from deepcams._version import __version__
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, GEOSCF, BBox, coarsen, select_region
from deepcams.io import (
    open_any,
    open_cams,
    open_dataset,
    open_geoscf,
    open_mat,
    to_netcdf,
    to_zarr,
)
from deepcams.methods import available_methods, get_method
from deepcams.metrics import compare, evaluate, summarize
from deepcams.pipeline import downscale, simulate
from deepcams.sources import open_sample_cams, open_sample_geoscf

__all__ = [
    "__version__",
    "CAMS",
    "GEOSCF",
    "BBox",
    "DeepcamsError",
    "available_methods",
    "coarsen",
    "compare",
    "downscale",
    "evaluate",
    "get_method",
    "open_any",
    "open_cams",
    "open_dataset",
    "open_geoscf",
    "open_mat",
    "open_sample_cams",
    "open_sample_geoscf",
    "select_region",
    "simulate",
    "summarize",
    "to_netcdf",
    "to_zarr",
]
