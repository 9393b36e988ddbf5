"""The synthetic world's weather: a time-varying, non-divergent wind and a moving rain field.

The wind is a zonal-mean circulation (westerly jets, trades, polar easterlies, a weak Hadley inflow that
follows the season) plus travelling eddies: each eddy is a wave in longitude under a latitude envelope,
drifting east with the flow and waxing and waning. Its streamfunction is a sum of products f(lat) g(lon),
so the whole field on any grid is one small matrix product (ny x 2J) @ (2J x nx) per hour: cheap enough to
evaluate at 0.25 deg every step, and the same at every resolution and region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS = 6.371e6  # m
HOUR = 3600.0  # s


@dataclass(frozen=True)
class Modes:
    """J travelling waves: latitude centre/width (deg), zonal wavenumber, meridional tilt, phase, drift."""

    lat0: np.ndarray
    width: np.ndarray
    m: np.ndarray
    tilt: np.ndarray
    phase: np.ndarray
    drift: np.ndarray  # eastward phase speed, m/s at lat0
    speed: np.ndarray  # velocity scale, m/s
    period: np.ndarray  # waxing/waning period, hours
    cycle: np.ndarray  # waxing/waning phase

    @classmethod
    def draw(cls, rng: np.random.Generator, count: int, m_range=(2, 16), speed=6.5) -> Modes:
        hemisphere = rng.choice([-1.0, 1.0], count)
        lat0 = hemisphere * rng.uniform(5.0, 70.0, count)
        m = rng.integers(m_range[0], m_range[1] + 1, count)
        drift = 0.6 * mean_zonal_wind(lat0, 0.0) + rng.normal(0.0, 2.0, count)
        return cls(
            lat0=lat0,
            width=rng.uniform(6.0, 16.0, count),
            m=m.astype("float64"),
            tilt=rng.normal(0.0, 4.0, count),
            phase=rng.uniform(0.0, 2 * np.pi, count),
            drift=drift,
            speed=speed * (m / 6.0) ** -0.5 * rng.uniform(0.5, 1.3, count) * _storminess(lat0),
            period=rng.uniform(48.0, 144.0, count),
            cycle=rng.uniform(0.0, 2 * np.pi, count),
        )

    def lat_parts(self, lat: np.ndarray, hours: float, derivative: bool):
        """Latitude factors P, Q (ny, J) of psi = sum P cos(m lon) + Q sin(m lon), or their d/dlat (per rad)."""
        phi = np.radians(lat)[:, None]
        seconds = hours * HOUR
        omega = self.drift / (EARTH_RADIUS * np.cos(np.radians(self.lat0)))  # rad of longitude per second
        theta = self.tilt * phi + self.phase - self.m * omega * seconds
        amplitude = self.speed * EARTH_RADIUS * np.cos(np.radians(self.lat0)) / self.m
        amplitude = amplitude * (0.55 + 0.45 * np.sin(2 * np.pi * hours / self.period + self.cycle))
        distance = (lat[:, None] - self.lat0) / self.width
        envelope = amplitude * np.exp(-(distance**2))
        if not derivative:
            return envelope * np.cos(theta), -envelope * np.sin(theta)
        d_envelope = envelope * (-2.0 * distance / self.width) * (180.0 / np.pi)
        p = d_envelope * np.cos(theta) - envelope * self.tilt * np.sin(theta)
        q = -(d_envelope * np.sin(theta) + envelope * self.tilt * np.cos(theta))
        return p, q

    def lon_parts(self, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        angle = np.radians(lon)[:, None] * self.m
        return np.cos(angle), np.sin(angle)


def _storminess(lat: np.ndarray) -> np.ndarray:
    """Eddy strength by latitude: strong in the storm tracks, weaker in the tropics."""
    return 0.35 + 0.75 * np.exp(-(((np.abs(lat) - 45.0) / 15.0) ** 2))


def itcz_shift(day_of_year: float) -> float:
    """Latitude of the thermal equator (deg), north in boreal summer."""
    return 6.0 * np.sin(2 * np.pi * (day_of_year - 100.0) / 365.25)


def mean_zonal_wind(lat: np.ndarray, shift: float) -> np.ndarray:
    """Zonal-mean u (m/s): westerly jets near 45 deg, trades near 15 deg, weak polar easterlies."""
    a = np.abs(np.asarray(lat, dtype="float64") - 0.5 * shift)
    return (
        13.0 * np.exp(-(((a - 44.0) / 11.0) ** 2))
        - 6.5 * np.exp(-(((a - 14.0) / 9.0) ** 2))
        - 3.0 * np.exp(-(((a - 74.0) / 7.0) ** 2))
    )


def mean_meridional_wind(lat: np.ndarray, shift: float) -> np.ndarray:
    """Zonal-mean v (m/s): the trades' inflow towards the thermal equator."""
    d = np.asarray(lat, dtype="float64") - shift
    return -3.0 * np.sign(d) * np.exp(-(((np.abs(d) - 12.0) / 8.0) ** 2))


def polar_taper(lat: np.ndarray) -> np.ndarray:
    """1 away from the poles, falling to 0 at +-89 deg (the lat-lon grid's converging meridians)."""
    return np.clip((89.0 - np.abs(lat)) / 7.0, 0.0, 1.0)


def product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b; small grids use einsum's single-threaded loop, as BLAS threads cost more than they save there."""
    if a.shape[0] * b.shape[1] < 250_000:
        return np.einsum("ij,jk->ik", a, b)
    return a @ b


class Weather:
    """Deterministic wind (m/s) and rain intensity (0..1) on any lat/lon grid at any hour."""

    def __init__(self, rng: np.random.Generator, day_of_year: float):
        self.eddies = Modes.draw(rng, 56)
        self.rain = Modes.draw(rng, 40, m_range=(4, 30), speed=1.0)
        self.day_of_year = day_of_year

    def wind(self, lat: np.ndarray, lon: np.ndarray, hours: float) -> tuple[np.ndarray, np.ndarray]:
        """u, v (ny, nx) in m/s at `hours` after the start; lat, lon are 1-D axes in degrees."""
        shift = itcz_shift(self.day_of_year + hours / 24.0)
        waves = np.concatenate(self.eddies.lon_parts(lon), axis=1).astype("float32")  # (nx, 2J)
        dp, dq = self.eddies.lat_parts(lat, hours, derivative=True)
        p, q = self.eddies.lat_parts(lat, hours, derivative=False)
        taper = polar_taper(lat)[:, None]
        coslat = np.maximum(np.cos(np.radians(lat)), 0.05)[:, None]
        m = self.eddies.m
        # u = -dpsi/dy and v = dpsi/dx, each one matrix product; the zonal means ride along as a
        # constant column so that the product gives the whole field
        ones = np.ones((lon.size, 1), dtype="float32")
        u_lat = np.concatenate(
            [-np.concatenate([dp, dq], axis=1) / EARTH_RADIUS, mean_zonal_wind(lat, shift)[:, None]], axis=1
        )
        v_lat = np.concatenate(
            [
                np.concatenate([q * m, -p * m], axis=1) / (EARTH_RADIUS * coslat),
                mean_meridional_wind(lat, shift)[:, None],
            ],
            axis=1,
        )
        basis = np.concatenate([waves, ones], axis=1).T
        u = product((u_lat * taper).astype("float32"), basis)
        v = product((v_lat * taper).astype("float32"), basis)
        return u, v

    def rain_rate(self, lat: np.ndarray, lon: np.ndarray, hours: float) -> np.ndarray:
        """Rain intensity 0..1 (ny, nx): moving showers, most in the ITCZ and the storm tracks."""
        shift = itcz_shift(self.day_of_year + hours / 24.0)
        waves = np.concatenate(self.rain.lon_parts(lon), axis=1).astype("float32")
        p, q = self.rain.lat_parts(lat, hours, derivative=False)
        climate = (
            0.35 + np.exp(-(((lat - shift) / 7.0) ** 2)) + 0.5 * np.exp(-(((np.abs(lat) - 50.0) / 10.0) ** 2))
        )
        lat_part = np.concatenate([p, q], axis=1) * (climate[:, None] / (EARTH_RADIUS * 0.03))
        field = product(lat_part.astype("float32"), waves.T)
        return np.clip(field, 0.0, 1.0, out=field)
