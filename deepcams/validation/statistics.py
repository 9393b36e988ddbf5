"""The field's statistics of a product (M) against station observations (O), paired in time.

N, R, RMSE, MAE, bias = mean(M - O); NMB = sum(M - O) / sum(O) and NME = sum|M - O| / sum(O) (percent);
MFB = 2/N sum (M - O) / (M + O) and MFE = 2/N sum |M - O| / (M + O) (percent; Boylan and Russell 2006);
FAC2, the share of pairs with 0.5 <= M/O <= 2; IOA, Willmott's (1981) index of agreement
1 - sum (M - O)^2 / sum (|M - mean O| + |O - mean O|)^2; and FAIRMODE's modelling quality indicator.

FAIRMODE (Janssen, S. and Thunis, P., "FAIRMODE Guidance Document on Modelling Quality Objectives and
Benchmarking", version 3.3, JRC Technical Report EUR 31068 EN, Publications Office of the EU, 2022,
doi:10.2760/41988): the measurement uncertainty of an observation is
U(O_i) = U_r^RV sqrt((1 - alpha^2) O_i^2 + alpha^2 RV^2), MQI = RMSE / (beta RMS_U) with
RMS_U = sqrt(mean U(O_i)^2) and beta = 2; the objective is met where MQI <= 1. Over a network, the MQI is the
90th percentile of the stations' MQIs (the guidance's "90 % principle"), the objective met when it is <= 1.
The target diagram places a station at (sign * CRMSE, bias) / (beta RMS_U): right when the error of the
standard deviation dominates, left when that of the correlation does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Uncertainty:
    """FAIRMODE measurement-uncertainty parameters of one pollutant (ug m-3)."""

    u_rv: float  # relative uncertainty at the reference value (95 % confidence)
    rv: float  # reference value
    alpha: float  # share of the uncertainty that does not scale with the concentration
    beta: float = 2.0  # how much larger than the measurement uncertainty the model error may be


# PM2.5, daily means: U_r^RV = 0.36, RV = 25 ug m-3, alpha = 0.50, beta = 2, as in the FAIRMODE guidance
# version 3.x (and pyaerocom's FAIRMODE module); version 2.1 (2017) had alpha = 0.30. The guidance defines
# them for daily means of PM2.5: applied to hourly or 24-hour rolling values they are an extension.
FAIRMODE_PM25 = Uncertainty(u_rv=0.36, rv=25.0, alpha=0.50)

STATISTICS = ("n", "r", "rmse", "mae", "bias", "nmb", "nme", "mfb", "mfe", "fac2", "ioa", "mqi")


def rms_uncertainty(observed: np.ndarray, params: Uncertainty = FAIRMODE_PM25) -> float:
    """RMS_U: the root mean square of the observations' measurement uncertainty U(O_i)."""
    o = np.asarray(observed, dtype="float64")
    u2 = params.u_rv**2 * ((1 - params.alpha**2) * o**2 + params.alpha**2 * params.rv**2)
    return float(np.sqrt(np.mean(u2)))


def paired_statistics(
    predicted: np.ndarray, observed: np.ndarray, params: Uncertainty = FAIRMODE_PM25
) -> dict[str, float]:
    """All of `STATISTICS` over the pairs where both are finite (NaN where undefined)."""
    m = np.asarray(predicted, dtype="float64")
    o = np.asarray(observed, dtype="float64")
    keep = np.isfinite(m) & np.isfinite(o)
    m, o = m[keep], o[keep]
    n = int(m.size)
    if n == 0:
        return {name: float("nan") for name in STATISTICS} | {"n": 0}
    error = m - o
    with np.errstate(divide="ignore", invalid="ignore"):
        sm, so = m.std(), o.std()
        r = float(np.mean((m - m.mean()) * (o - o.mean())) / (sm * so)) if sm > 0 and so > 0 else float("nan")
        total = o.sum()
        both = m + o
        fraction = np.where(both > 0, error / both, 0.0)  # M = O = 0 is a perfect pair
        agreement = np.sum((np.abs(m - o.mean()) + np.abs(o - o.mean())) ** 2)
        rmse = float(np.sqrt(np.mean(error**2)))
        return {
            "n": n,
            "r": r,
            "rmse": rmse,
            "mae": float(np.mean(np.abs(error))),
            "bias": float(np.mean(error)),
            "nmb": float(100 * error.sum() / total) if total > 0 else float("nan"),
            "nme": float(100 * np.abs(error).sum() / total) if total > 0 else float("nan"),
            "mfb": float(100 * 2 * np.mean(fraction)),
            "mfe": float(100 * 2 * np.mean(np.abs(fraction))),
            "fac2": float(np.mean((m >= 0.5 * o) & (m <= 2 * o))),
            "ioa": float(1 - np.sum(error**2) / agreement) if agreement > 0 else float("nan"),
            "mqi": rmse / (params.beta * rms_uncertainty(o, params)),
        }


def target_point(
    predicted: np.ndarray, observed: np.ndarray, params: Uncertainty = FAIRMODE_PM25
) -> tuple[float, float]:
    """(x, y) of the FAIRMODE target diagram: (sign * CRMSE, bias) / (beta RMS_U); its radius is the MQI."""
    m = np.asarray(predicted, dtype="float64")
    o = np.asarray(observed, dtype="float64")
    keep = np.isfinite(m) & np.isfinite(o)
    m, o = m[keep], o[keep]
    if m.size == 0:
        return float("nan"), float("nan")
    scale = params.beta * rms_uncertainty(o, params)
    sm, so = m.std(), o.std()
    r = np.mean((m - m.mean()) * (o - o.mean())) / (sm * so) if sm > 0 and so > 0 else 1.0
    crmse = np.sqrt(max(sm**2 + so**2 - 2 * sm * so * r, 0.0))
    # right of the axis when the standard deviation error dominates the correlation error
    sign = 1.0 if so == 0 or r >= 1 or abs(sm - so) >= so * np.sqrt(2 * (1 - r)) else -1.0
    return float(sign * crmse / scale), float((m.mean() - o.mean()) / scale)


def mqi90(station_mqi: np.ndarray) -> float:
    """The network's MQI: the 90th percentile of the stations' MQIs, interpolated between ranks as the
    FAIRMODE guidance does (MQI(S90) + (MQI(S90 + 1) - MQI(S90)) (0.9 S - S90), S90 = floor(0.9 S))."""
    values = np.sort(np.asarray(station_mqi, dtype="float64")[np.isfinite(station_mqi)])
    count = values.size
    if count == 0:
        return float("nan")
    if count == 1:
        return float(values[0])
    s90 = int(np.floor(0.9 * count))  # 1-based rank
    low = values[s90 - 1]
    return float(low + (values[s90] - low) * (0.9 * count - s90))
