"""Where the synthetic world's PM2.5 comes from: land, cities and industry, deserts, seasonal fires.

The land fraction is Natural Earth 1:110m land rasterised on the GEOS-CF grid (deepcams/data/
land_fraction.nc, built by scripts/build_land_mask.py; "Made with Natural Earth", public domain). The source
regions below are hand-placed from general knowledge of where PM2.5 is high (the big urban-industrial
regions, the dust belt from the Sahara to the Taklamakan, the fire seasons), not from any real frame.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import xarray as xr

from deepcams.grids import wrap_lon

# (lat, lon, strength, radius in deg): urban-industrial regions; strength ~ regional surface ug m-3
URBAN = [
    (37.0, 115.5, 1.00, 4.0),  # North China Plain
    (31.5, 119.5, 0.70, 3.0),  # Yangtze delta
    (30.0, 105.5, 0.70, 2.5),  # Sichuan basin
    (23.0, 113.0, 0.45, 2.0),  # Pearl River delta
    (34.5, 113.0, 0.70, 2.5),  # Henan
    (41.5, 123.0, 0.40, 2.5),  # Liaoning
    (27.0, 80.5, 1.00, 3.5),  # Indo-Gangetic Plain, centre
    (29.0, 76.5, 0.90, 2.5),  # Delhi / Haryana
    (25.0, 86.0, 0.85, 3.0),  # Bihar / West Bengal
    (23.8, 90.4, 0.70, 1.8),  # Dhaka
    (31.5, 73.5, 0.80, 2.2),  # Lahore / Punjab
    (24.9, 67.1, 0.45, 1.2),  # Karachi
    (19.0, 73.0, 0.40, 1.5),  # Mumbai
    (13.0, 80.2, 0.30, 1.2),  # Chennai
    (21.0, 105.8, 0.45, 1.5),  # Hanoi
    (13.7, 100.5, 0.35, 1.5),  # Bangkok
    (-6.2, 106.8, 0.40, 1.5),  # Jakarta
    (14.6, 121.0, 0.25, 1.0),  # Manila
    (37.5, 127.0, 0.35, 1.5),  # Seoul
    (35.5, 139.5, 0.20, 1.5),  # Tokyo
    (35.7, 51.4, 0.40, 1.5),  # Tehran
    (30.0, 31.2, 0.55, 1.5),  # Cairo / Nile delta
    (24.7, 46.7, 0.30, 1.5),  # Riyadh
    (41.0, 29.0, 0.25, 1.5),  # Istanbul
    (55.7, 37.6, 0.20, 2.0),  # Moscow
    (50.5, 19.0, 0.40, 2.5),  # Silesia / southern Poland
    (45.3, 10.0, 0.45, 2.0),  # Po Valley
    (51.0, 7.0, 0.25, 2.5),  # Rhine-Ruhr / Benelux
    (44.5, 24.0, 0.25, 3.0),  # Balkans
    (6.5, 3.4, 0.45, 1.5),  # Lagos
    (12.0, 8.5, 0.30, 2.0),  # Kano
    (-4.3, 15.3, 0.30, 1.5),  # Kinshasa
    (-26.2, 28.0, 0.30, 2.0),  # Highveld
    (40.0, -80.0, 0.20, 4.0),  # Eastern US
    (34.0, -118.0, 0.25, 1.2),  # Los Angeles
    (19.4, -99.1, 0.45, 1.5),  # Mexico City
    (-23.5, -46.6, 0.30, 1.5),  # Sao Paulo
    (-33.4, -70.6, 0.40, 1.0),  # Santiago
    (-12.0, -77.0, 0.30, 1.0),  # Lima
    (4.7, -74.1, 0.25, 1.0),  # Bogota
]

# (south, north, west, east, erodibility): deserts that lift dust when the wind is strong
DESERTS = [
    (14.0, 31.0, -16.0, 32.0, 1.00),  # Sahara
    (15.0, 21.0, -5.0, 25.0, 0.70),  # Sahel / Bodele belt
    (16.0, 32.0, 36.0, 56.0, 0.80),  # Arabian Peninsula and Mesopotamia
    (26.0, 36.0, 52.0, 66.0, 0.50),  # Iranian plateau and Registan
    (24.0, 30.0, 68.0, 74.0, 0.50),  # Thar
    (36.5, 41.5, 76.0, 90.0, 1.00),  # Taklamakan
    (39.0, 45.0, 95.0, 112.0, 0.50),  # Gobi
    (-30.0, -20.0, 120.0, 142.0, 0.30),  # Australian interior
    (28.0, 35.0, -116.0, -104.0, 0.15),  # Sonoran / Chihuahuan
    (-28.0, -18.0, 14.0, 24.0, 0.20),  # Kalahari / Namib
]

# (south, north, west, east, months): seasonal biomass burning regions, months 1..12 when they burn
FIRE_REGIONS = [
    (5.0, 13.0, -17.0, 30.0, (11, 12, 1, 2, 3)),  # West African and Sudanian savanna
    (15.0, 24.0, 94.0, 106.0, (2, 3, 4)),  # Mainland Southeast Asia
    (17.0, 26.0, 77.0, 88.0, (3, 4, 5)),  # Central and eastern India
    (28.0, 32.0, 73.0, 78.0, (4, 5, 10, 11)),  # Punjab crop residue
    (15.0, 21.0, -92.0, -86.0, (3, 4, 5)),  # Yucatan and Central America
    (-15.0, -4.0, 12.0, 35.0, (6, 7, 8, 9)),  # Southern African savanna
    (-13.0, -5.0, -65.0, -45.0, (8, 9, 10)),  # Amazon arc of deforestation
    (-4.0, 3.0, 100.0, 117.0, (8, 9, 10)),  # Sumatra and Borneo peat
    (50.0, 62.0, 100.0, 135.0, (5, 6, 7, 8)),  # Siberian taiga
    (52.0, 62.0, -125.0, -95.0, (6, 7, 8)),  # Canadian boreal forest
    (-38.0, -28.0, 140.0, 153.0, (11, 12, 1, 2)),  # South-eastern Australia
    (36.0, 42.0, -123.0, -119.0, (7, 8, 9, 10)),  # California
]

# (lat, lon, months): where the season's extreme wildfire may break out
EXTREME_FIRES = [
    (-35.5, 149.0, (11, 12, 1, 2)),  # south-eastern Australia (Black Summer)
    (19.5, 98.5, (2, 3, 4)),  # northern Thailand / Myanmar
    (21.5, 82.5, (3, 4, 5)),  # central India
    (17.5, -90.0, (3, 4, 5)),  # Guatemala / Yucatan
    (9.0, 15.0, (12, 1, 2, 3)),  # Central African savanna
    (-10.0, 23.0, (6, 7, 8, 9)),  # Angola / Zambia
    (-9.0, -57.0, (8, 9, 10)),  # Mato Grosso
    (-2.0, 113.5, (8, 9, 10)),  # Kalimantan peat
    (56.0, 118.0, (6, 7, 8)),  # Yakutia
    (56.5, -112.0, (5, 6, 7, 8)),  # Alberta
    (39.5, -121.5, (8, 9, 10, 11)),  # California
]


@lru_cache(maxsize=1)
def land_fraction() -> np.ndarray:
    """Land fraction 0..1 on the global GEOS-CF grid (lat ascending, lon from -180), float32."""
    path = files("deepcams") / "data" / "land_fraction.nc"
    with xr.open_dataset(path, engine="netcdf4") as ds:
        values = ds["land_fraction"].values.astype("float32") / 100.0
    values.setflags(write=False)
    return values


def box_weight(lat: np.ndarray, lon: np.ndarray, south, north, west, east, edge: float = 1.5) -> np.ndarray:
    """Smooth 0..1 indicator (ny, nx) of a lat/lon box with edges a few degrees wide, on 1-D axes."""
    lon = wrap_lon(lon)

    def ramp(x):
        return 1.0 / (1.0 + np.exp(-x / edge))

    return np.outer(ramp(lat - south) * ramp(north - lat), ramp(lon - west) * ramp(east - lon)).astype(
        "float32"
    )


def blob(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, radius: float) -> np.ndarray:
    """Gaussian bump (ny, nx) of `radius` deg around (lat0, lon0) on 1-D axes, across the antimeridian."""
    dlon = wrap_lon(np.asarray(lon) - lon0) * np.cos(np.radians(lat0))
    rows = np.exp(-((np.asarray(lat) - lat0) ** 2) / (2.0 * radius**2))
    return np.outer(rows, np.exp(-(dlon**2) / (2.0 * radius**2))).astype("float32")
