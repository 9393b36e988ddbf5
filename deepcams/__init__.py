"""deepcams: CAMS PM2.5 downscaled to a 0.25 deg hourly product with deep learning (DeepCAMS).

The pipeline reads top to bottom: `deepcams.io` (readers, writers) -> `deepcams.grids` (alignment,
regions, coarsening) -> `deepcams.methods` (baselines, learned models) -> `deepcams.pipeline` (two-stage
downscaling) -> `deepcams.metrics`.
"""

__version__ = "0.1.0"

from deepcams.errors import DeepcamsError  # noqa: E402
from deepcams.grids import CAMS, GEOSCF, BBox, coarsen, select_region  # noqa: E402
from deepcams.io import (  # noqa: E402
    open_any,
    open_cams,
    open_dataset,
    open_geoscf,
    open_mat,
    open_sample_cams,
    open_sample_geoscf,
    to_netcdf,
    to_zarr,
)
from deepcams.methods import available_methods, get_method  # noqa: E402
from deepcams.metrics import compare, evaluate, summarize  # noqa: E402
from deepcams.pipeline import downscale, simulate  # noqa: E402

__all__ = [
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
