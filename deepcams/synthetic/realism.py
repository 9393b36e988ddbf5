"""How close a PM2.5 field is to real GEOS-CF: the statistics the synthetic world is judged by.

Computed the same way on the real sample (only its visible longitude bands) and on synthetic frames:
percentiles of the values, the slope of the zonal power spectrum of log10 PM2.5 (wavelengths 15 to 1 deg,
|lat| <= 60), and the pattern correlation between frames one hour apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from deepcams.grids import GEOSCF, wrap_lon
from deepcams.io.conventions import check_canonical

# the longitudes the real sample shows (the others are held back upstream)
VISIBLE_BANDS = ((-180.0, -120.0), (-60.0, 0.0), (60.0, 120.0))
PERCENTILES = (50, 90, 99)
SPECTRUM_WAVELENGTHS = (15.0, 1.0)  # deg
SPECTRUM_MAX_LAT = 60.0


def band_columns(lon: np.ndarray) -> list[np.ndarray]:
    """Column indices of each visible band present in full on this lon axis (all columns for a region)."""
    wrapped = wrap_lon(lon)
    if lon.size < GEOSCF.nlon:
        return [np.arange(lon.size)]
    return [np.flatnonzero((wrapped >= west) & (wrapped < east)) for west, east in VISIBLE_BANDS]


def spectral_slope(frame: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> float:
    """Log-log slope of the mean zonal power spectrum of log10(frame), per band, Hann-windowed."""
    rows = np.abs(lat) <= SPECTRUM_MAX_LAT
    spectra = []
    for cols in band_columns(lon):
        x = np.log10(np.maximum(frame[np.ix_(rows, cols)].astype("float64"), 1e-3))
        x = x[np.all(np.isfinite(x), axis=1)]
        x = x - x.mean(axis=1, keepdims=True)
        spectra.append((np.abs(np.fft.rfft(x * np.hanning(cols.size), axis=1)) ** 2).mean(axis=0))
    size = min(s.size for s in spectra)
    power = np.mean([s[:size] for s in spectra], axis=0)
    width = (size - 1) * 2 * GEOSCF.step  # band width in degrees
    k = np.arange(size)
    longest, shortest = SPECTRUM_WAVELENGTHS
    keep = (k >= width / longest) & (k <= width / shortest)
    return float(np.polyfit(np.log(k[keep]), np.log(power[keep]), 1)[0])


def field_statistics(ds: xr.Dataset, hours: tuple[int, ...] | None = None) -> dict[str, float]:
    """Median, 90th and 99th percentile (ug m-3), spectral slope and hour-to-hour pattern correlation.

    Global fields are measured on the real sample's visible bands; `hours` keeps only those UTC hours
    (the real frames are 00..03), consecutive frames one hour apart give the correlations.
    """
    pm25 = check_canonical(ds)
    times = pd.DatetimeIndex(pm25["time"].values)
    keep = np.ones(len(times), bool) if hours is None else np.isin(times.hour, hours)
    values = pm25.values[keep].astype("float64")
    times = times[keep]
    lat, lon = pm25["lat"].values, pm25["lon"].values
    cols = np.concatenate(band_columns(lon))
    pooled = values[:, :, cols]
    pooled = pooled[np.isfinite(pooled)]
    stats = {f"p{q}": float(np.percentile(pooled, q)) for q in PERCENTILES}
    stats["spectral_slope"] = float(np.mean([spectral_slope(frame, lat, lon) for frame in values]))
    pairs = [k for k in range(1, len(times)) if times[k] - times[k - 1] == pd.Timedelta(hours=1)]
    correlations = []
    for k in pairs:
        a, b = values[k - 1][:, cols].ravel(), values[k][:, cols].ravel()
        ok = np.isfinite(a) & np.isfinite(b)
        correlations.append(np.corrcoef(a[ok], b[ok])[0, 1])
    stats["hourly_correlation"] = float(np.mean(correlations)) if correlations else float("nan")
    return stats
