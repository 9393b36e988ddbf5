"""Reading providers' files into the canonical layout, and writing results."""

from deepcams.io.conventions import UNITS, VARIABLE, units_factor
from deepcams.io.readers import open_any, open_cams, open_dataset, open_geoscf, open_mat, open_model_output
from deepcams.io.writers import to_netcdf, to_zarr

__all__ = [
    "UNITS",
    "VARIABLE",
    "open_any",
    "open_cams",
    "open_dataset",
    "open_geoscf",
    "open_mat",
    "open_model_output",
    "to_netcdf",
    "to_zarr",
    "units_factor",
]
