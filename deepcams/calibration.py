"""The ensemble's spread calibration: the members' raw spread -> the standard deviation the product states.

Independently trained members disagree far less than their mean errs (docs/model-card.md), and not in
proportion: a clean ocean and a fire region differ most in how large the errors are for a given spread.
The calibrated standard deviation is therefore heteroscedastic,

    sigma = hypot(spread_scale * spread, mean_scale * mean)

(the members' spread, and a part proportional to the concentration, as PM2.5 errors are largely
multiplicative), with a pair of factors of its own at the input hours: there only the spatial stage adds
detail and the errors are smaller for the same spread than at the hours between, where both stages do.
`fit` chooses the factors that minimise the CRPS on data the evaluation does not use (each sample weighted
by 1 / its RMSE, so a polluted region does not outweigh a clean one); the shipped factors and their
provenance are in `deepcams/data/weights/ensemble/calibration.json`.
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

FACTORS = ("spread_scale", "mean_scale", "input_spread_scale", "input_mean_scale")
CALIBRATION = "calibration.json"  # next to the members' weights
SIGMA_FLOOR = 1e-6  # ug m-3: a zero spread makes the normal CRPS 0/0; this small one gives |error| instead


@dataclass(frozen=True)
class Calibration:
    spread_scale: float = 1.0  # the factors at the hours between the input's (or every hour, if alone)
    mean_scale: float = 0.0
    fitted_on: str = "not calibrated"
    command: str = ""
    input_spread_scale: float | None = None  # the factors at the input hours; None: the same as between
    input_mean_scale: float | None = None

    def __post_init__(self):
        for name in FACTORS:
            value = getattr(self, name)
            if value is None and name.startswith("input_"):
                continue
            if not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
                raise DeepcamsError(f"calibration {name} must be a finite number >= 0, got {value!r}")
        if (self.input_spread_scale is None) != (self.input_mean_scale is None):
            raise DeepcamsError("calibration needs both input-hour factors or neither")

    @property
    def by_hour_type(self) -> bool:
        return self.input_spread_scale is not None

    def factors(self, at_input: bool) -> tuple[float, float]:
        """(spread factor, mean factor) at the input hours or at the hours between."""
        if at_input and self.by_hour_type:
            return self.input_spread_scale, self.input_mean_scale
        return self.spread_scale, self.mean_scale

    def sigma(self, spread, mean, at_input=False):
        """The calibrated standard deviation of each pixel (a negative mean adds nothing); `at_input`
        (broadcast against `spread`) says which pixels lie at an input hour."""
        at_input = np.asarray(at_input, dtype=bool)
        (a_in, b_in), (a, b) = self.factors(True), self.factors(False)
        return np.hypot(
            np.where(at_input, a_in, a) * np.asarray(spread),
            np.where(at_input, b_in, b) * np.maximum(mean, 0.0),
        )

    def describe(self) -> str:
        form = lambda a, b: f"hypot({a:.3g} x spread, {b:.3g} x mean)"  # noqa: E731
        if not self.by_hour_type:
            return form(*self.factors(False))
        return f"{form(*self.factors(True))} at the input hours, {form(*self.factors(False))} between"

    def attrs(self) -> dict[str, float]:
        """The factors as a product's attributes (the input-hour pair only when it has one)."""
        return {name: getattr(self, name) for name in FACTORS if getattr(self, name) is not None}

    @classmethod
    def from_attrs(cls, attrs) -> Calibration:
        """The calibration a product states in its attributes (`attrs`)."""
        values = {name: float(attrs[name]) for name in FACTORS if name in attrs}
        return cls(**{"spread_scale": 1.0, "mean_scale": 0.0, **values})

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


# members (N, time, ...), truth (time, ...) and whether each time is an input hour (time,)
Sample = tuple[np.ndarray, np.ndarray, np.ndarray]


def flatten(members: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, raw spread (ddof 1) and truth over the pixels finite in the truth and every member."""
    members, truth = np.asarray(members, dtype="float64"), np.asarray(truth, dtype="float64")
    valid = np.isfinite(truth) & np.isfinite(members).all(axis=0)
    return members.mean(axis=0)[valid], members.std(axis=0, ddof=1)[valid], truth[valid]


def mean_crps(calibration: Calibration, mean, spread, truth) -> float:
    import scoringrules  # imported where a CRPS is scored: it takes ~4 s to import

    sigma = np.maximum(calibration.sigma(spread, mean), SIGMA_FLOOR)
    return float(np.mean(scoringrules.crps_normal(truth, mean, sigma)))


def _fit_pair(flat, mean_scale: bool) -> tuple[float, float]:
    """The (spread, mean) factors minimising the sum of CRPS / RMSE over flattened samples."""
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
    return round(float(factors[0]), 4), (round(float(factors[1]), 5) if mean_scale else 0.0)


def fit(
    samples: Sequence[Sample],
    fitted_on: str,
    command: str = "",
    mean_scale: bool = True,
    by_hour_type: bool = True,
) -> Calibration:
    """The factors minimising the sum over `samples` of CRPS / RMSE of the ensemble mean.

    With `by_hour_type` the input hours and the hours between get a pair each, each fitted on its own
    hours of every sample; otherwise one pair is fitted on all of them. `mean_scale=False` fits the spread
    factor alone (the homoscedastic form, for comparison).
    """

    def hours(at_input: bool | None):
        picked = []
        for members, truth, input_hours in samples:
            keep = (
                np.ones(len(input_hours), bool) if at_input is None else np.asarray(input_hours) == at_input
            )
            if keep.any():
                picked.append(flatten(np.asarray(members)[:, keep], np.asarray(truth)[keep]))
        return picked

    if not by_hour_type:
        return Calibration(*_fit_pair(hours(None), mean_scale), fitted_on, command)
    between, at_input = _fit_pair(hours(False), mean_scale), _fit_pair(hours(True), mean_scale)
    return Calibration(*between, fitted_on, command, *at_input)
