"""The ensemble's spread calibration: the members' raw spread -> the standard deviation the product states.

Independently trained members disagree far less than their mean errs (docs/model-card.md), and not in
proportion: a clean ocean and a fire region differ most in how large the errors are for a given spread.
The calibrated standard deviation is therefore heteroscedastic,

    sigma = hypot(spread_scale * spread, mean_scale * mean)

(the members' spread, and a part proportional to the concentration, as PM2.5 errors are largely
multiplicative). `fit` chooses the two factors that minimise the CRPS on data the evaluation does not use
(each sample weighted by 1 / its RMSE, so a polluted region does not outweigh a clean one); the shipped
factors and their provenance are in `deepcams/data/weights/ensemble/calibration.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from deepcams.errors import DeepcamsError

CALIBRATION = "calibration.json"  # next to the members' weights
SIGMA_FLOOR = 1e-6  # ug m-3: a zero spread makes the normal CRPS 0/0; this small one gives |error| instead


@dataclass(frozen=True)
class Calibration:
    spread_scale: float = 1.0
    mean_scale: float = 0.0
    fitted_on: str = "not calibrated"
    command: str = ""

    def __post_init__(self):
        for name in ("spread_scale", "mean_scale"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
                raise DeepcamsError(f"calibration {name} must be a finite number >= 0, got {value!r}")

    def sigma(self, spread, mean):
        """The calibrated standard deviation of each pixel (a negative mean adds nothing)."""
        return np.hypot(self.spread_scale * np.asarray(spread), self.mean_scale * np.maximum(mean, 0.0))

    def describe(self) -> str:
        return f"hypot({self.spread_scale:.3g} x spread, {self.mean_scale:.3g} x mean)"

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


RAW = Calibration()  # the members' spread as it is


def shipped_calibration() -> Calibration:
    """The shipped calibration; an uncalibrated one (the raw spread) if none is shipped."""
    path = files("deepcams") / "data" / "weights" / "ensemble" / CALIBRATION
    if not path.is_file():
        return RAW
    try:
        return Calibration(**json.loads(path.read_text()))
    except (ValueError, TypeError) as err:
        raise DeepcamsError(f"{CALIBRATION} is not a valid calibration: {err}") from None


Sample = tuple[np.ndarray, np.ndarray]  # members (N, ...) and truth (...)


def flatten(members: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, raw spread (ddof 1) and truth over the pixels finite in the truth and every member."""
    members, truth = np.asarray(members, dtype="float64"), np.asarray(truth, dtype="float64")
    valid = np.isfinite(truth) & np.isfinite(members).all(axis=0)
    return members.mean(axis=0)[valid], members.std(axis=0, ddof=1)[valid], truth[valid]


def mean_crps(calibration: Calibration, mean, spread, truth) -> float:
    import scoringrules  # imported where a CRPS is scored: it takes ~4 s to import

    sigma = np.maximum(calibration.sigma(spread, mean), SIGMA_FLOOR)
    return float(np.mean(scoringrules.crps_normal(truth, mean, sigma)))


def fit(samples: Sequence[Sample], fitted_on: str, command: str = "", mean_scale: bool = True) -> Calibration:
    """The factors minimising the sum over `samples` of CRPS / RMSE of the ensemble mean.

    `mean_scale=False` fits the spread factor alone (the homoscedastic form, for comparison).
    """
    flat = [flatten(*sample) for sample in samples]
    rmse = [np.sqrt(np.mean((mean - truth) ** 2)) for mean, _, truth in flat]
    if not flat or not all(np.isfinite(rmse)) or min(rmse) <= 0:
        raise DeepcamsError("calibration needs samples with finite, non-zero errors")

    def objective(log_factors):
        factors = np.exp(log_factors)
        trial = Calibration(factors[0], factors[1] if mean_scale else 0.0)
        return sum(mean_crps(trial, *f) / r for f, r in zip(flat, rmse, strict=True))

    start = np.log([5.0, 0.02] if mean_scale else [5.0])  # the raw spread is 4-12 x too small (model card)
    result = minimize(objective, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-9})
    factors = np.exp(result.x)
    return Calibration(
        round(float(factors[0]), 4),
        round(float(factors[1]), 5) if mean_scale else 0.0,
        fitted_on,
        command,
    )
