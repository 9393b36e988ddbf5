"""The deep ensemble's product: N downscaled members -> mean, spread and quantiles, as CF variables.

The members are DeepCAMS runs with independently trained weights (`make ensemble`). Their spread says how
much the downscaling itself is unsure of the added detail (not the input's own errors: every member sees
the same CAMS field). The predictive distribution the product states is a normal one around the members'
mean, its standard deviation the members' spread calibrated on data the evaluation does not use
(`deepcams.calibration`, docs/model-card.md); its quantiles are floored at 0, as no concentration is
negative.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import norm

from deepcams.calibration import RAW, Calibration
from deepcams.errors import DeepcamsError
from deepcams.io.conventions import PM25_ATTRS

QUANTILES = (0.05, 0.95)  # the product's default quantiles


def check_quantiles(quantiles) -> tuple[float, ...]:
    """Probabilities strictly between 0 and 1, sorted, without repeats."""
    try:
        values = tuple(sorted({float(q) for q in quantiles}))
    except (TypeError, ValueError):
        raise DeepcamsError(f"quantiles must be numbers between 0 and 1, got {quantiles!r}") from None
    if not all(0.0 < q < 1.0 for q in values):
        raise DeepcamsError(f"quantiles must lie strictly between 0 and 1, got {', '.join(map(str, values))}")
    return values


def summarize_members(
    members: xr.DataArray,
    quantiles=QUANTILES,
    calibration: Calibration = RAW,
    keep_members: bool = False,
) -> xr.Dataset:
    """Mean (`pm25`), spread (`pm25_spread`), quantiles (`pm25_quantile`) and optionally the members
    (`pm25_member`) of a (realization, time, lat, lon) field.

    The spread is `calibration.sigma` of the members' standard deviation (ddof 1) and mean. A pixel
    missing in any member is missing in every variable.
    """
    if members.sizes.get("realization", 0) < 2:
        raise DeepcamsError("an ensemble needs at least 2 members")
    quantiles = check_quantiles(quantiles)
    values = members.values
    mean = values.mean(axis=0, dtype="float64")
    spread = calibration.sigma(values.std(axis=0, ddof=1, dtype="float64"), mean)
    z = norm.ppf(np.asarray(quantiles))[:, None, None, None]
    bounds = np.maximum(mean[None] + z * spread[None], 0.0)
    dims = ("time", "lat", "lon")
    coords = {name: members[name] for name in dims}
    cell = lambda what: {"cell_methods": f"realization: {what}"}  # noqa: E731
    ds = xr.Dataset(
        {
            "pm25": (dims, mean.astype("float32"), {**PM25_ATTRS, **cell("mean")}),
            "pm25_spread": (
                dims,
                spread.astype("float32"),
                {
                    "long_name": "standard deviation of PM2.5: the members' spread, calibrated",
                    "units": PM25_ATTRS["units"],
                    **cell("standard_deviation"),
                    "spread_scale": calibration.spread_scale,
                    "mean_scale": calibration.mean_scale,
                },
            ),
            "pm25_quantile": (
                ("quantile", *dims),
                bounds.astype("float32"),
                {
                    "long_name": "PM2.5 quantile of the ensemble's normal distribution (floored at 0)",
                    "units": PM25_ATTRS["units"],
                },
            ),
        },
        coords={
            **coords,
            "quantile": ("quantile", np.asarray(quantiles), {"long_name": "probability", "units": "1"}),
        },
    )
    if keep_members:
        ds["pm25_member"] = members.astype("float32").assign_attrs(
            {**PM25_ATTRS, "long_name": "PM2.5 of each ensemble member"}
        )
        ds["realization"].attrs = {
            "standard_name": "realization",
            "long_name": "ensemble member",
            "units": "1",
        }
    return ds
