"""The synthetic PM2.5 world: sources, transport by the synthetic weather, deposition, and two "models".

One tracer of surface PM2.5 (ug m-3) is stepped hourly on a lat/lon grid:
  1. semi-Lagrangian advection: each pixel takes the value at its departure point one hour upwind
     (scipy.ndimage.map_coordinates, bilinear; longitude periodic on the globe);
  2. deposition: relaxation towards a clean background with a dry lifetime of days, shortened under rain
     and by daytime venting of the boundary layer over land;
  3. emission: cities and industry (with a daily cycle), dust lifted where the wind over deserts exceeds a
     threshold, seasonal fires (point sources burning in the afternoon), sea salt growing with wind speed
     over the ocean, and one extreme wildfire, steered to a plume of about EXTREME_TARGET.
The frames a user sees multiply the tracer by a boundary-layer factor over land (shallow nights, deep
afternoons), a static terrain factor, and a sub-grid texture that changes within hours (`Flicker`).
Sources carry static multiscale (power-law, lognormal) textures; transport by the wind's eddies stretches
plumes into filaments.

Spin-up: 72 h on the 0.75 deg grid, then 12 h at 0.25 deg, before the first frame, so the fields start
full of plumes. A region (`bbox`) is simulated with a 12 deg margin (taking what flows in from outside
as the domain edge value) and cut to whole CAMS cells, so the coarsening is exact; it is therefore close
to, but not the same as, the global world cut to the box.

The CAMS-like input is a different "model" of the same world: the truth displaced by a smooth field of
about 0.4 deg (one standard deviation), coarsened to the CAMS grid (3 x 3 block mean) every 3 h, times a smooth multiplicative
bias of about +-25 %. With `exact=True` it is the coarsened truth itself (the paper's simulation protocol).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy import ndimage

from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, FACTOR, GEOSCF, BBox, coarsen, region_lat, region_lon, wrap_lon
from deepcams.io.conventions import pm25_dataset
from deepcams.synthetic import geography
from deepcams.synthetic.weather import EARTH_RADIUS, HOUR, Weather

GENERATOR_VERSION = "1"
MARGIN = 12.0  # deg of extra domain around a region
SPINUP_COARSE = 72  # hours on the CAMS grid
SPINUP_FINE = 12  # hours on the GEOS-CF grid
MAX_FRAMES_GLOBAL = 24 * 15 + 1  # about 1.5 GB of global float32 truth
MAX_DAYS = 60

# emission and loss constants (ug m-3 per hour, hours): tuned so that the statistics match real GEOS-CF
URBAN_RATE = 6.0
DUST_RATE = 0.5
GUST_THRESHOLD = 5.0  # m/s
FIRE_RATE = 14.0
FIRE_DENSITY = 0.012  # fraction of land pixels burning in a region in season
SMOULDER = 0.01
HAZE = 0.04  # diffuse share of URBAN_RATE over inhabited land
SEA_SALT_RATE = 0.0006
EXTREME_RATE = 400.0
DRY_LIFETIME = 60.0
VENTING_RATE = 1.0 / 12.0  # per hour at 14 local time over land
EXTREME_TARGET = 1500.0  # ug m-3 at the fire's core
WET_RATE = 1.0 / 8.0
BACKGROUND = 0.7
BOUNDARY_LAYER_AMPLITUDE = 0.45
TERRAIN_SIGMA = 0.5
FLICKER_SIGMA = 0.5
FLICKER_BETA = 3.0
FLICKER_PERIOD = 3.0  # hours


def make_world(
    days: int = 3,
    start: str | pd.Timestamp = "2024-03-01",
    bbox: BBox | str | None = None,
    seed: int = 0,
    exact: bool = False,
) -> tuple[xr.Dataset, xr.Dataset]:
    """A synthetic (cams, truth) pair in the canonical layout, both in ug m-3.

    truth: hourly from `start` to `start + days` inclusive on the GEOS-CF grid (or the whole CAMS cells
    covering `bbox`); cams: every third hour on the CAMS grid (or bbox), a different model of the same
    world, or exactly `coarsen(truth)` at those hours when `exact`. Same arguments, same bytes.
    """
    start, days, bbox, seed = check_arguments(days, start, bbox, seed)
    truth_lat, truth_lon = truth_axes(bbox)
    frames = 24 * days + 1
    if frames * truth_lat.size * truth_lon.size > MAX_FRAMES_GLOBAL * GEOSCF.nlat * GEOSCF.nlon:
        raise DeepcamsError(
            f"{days} days over this area is too large; at most 15 days of the globe at a time"
        )
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 20240301]).spawn(4)]
    weather = Weather(streams[0], day_of_year=start.day_of_year)
    sources = Sources(streams[1], start, bbox)
    values, lat, lon = simulate(weather, sources, start, frames, truth_lat, truth_lon, streams[3])
    times = pd.date_range(start, periods=frames, freq="h").values.astype("datetime64[ns]")
    note = (
        f"synthetic world, deepcams.synthetic generator {GENERATOR_VERSION}, seed {seed}, start {start:%Y-%m-%d %H:%M}, "
        f"{days} days, bbox {bbox or 'global'}; extreme wildfire near {sources.extreme_text}"
    )
    attrs = {
        "title": "Synthetic GEOS-CF-like PM2.5 (deepcams synthetic world)",
        "source": "deepcams.synthetic: synthetic, not observed or modelled data",
        "history": f"made by deepcams.synthetic.make_world(days={days}, start={start:%Y-%m-%dT%H}, "
        f"bbox={bbox}, seed={seed}, exact={exact})",
        "source_note": note,
        "attribution": "land mask made with Natural Earth (public domain)",
    }
    truth = pm25_dataset(values, times, lat, lon, attrs)
    cams = cams_like(truth, streams[2], exact)
    cams.attrs.update(attrs, title="Synthetic CAMS-like PM2.5 (deepcams synthetic world)")
    cams.attrs["model_difference"] = (
        "exact: coarsened truth at the 3-hourly times"
        if exact
        else "truth displaced by a smooth field (sd 0.4 deg), coarsened, times a smooth bias (sd about 22 %)"
    )
    return cams, truth


def check_arguments(days, start, bbox, seed):
    """Validated (start, days, bbox, seed); bad values raise a one-line DeepcamsError."""
    try:
        start = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise DeepcamsError(f"start must be a date such as 2024-03-01, got {start!r}") from None
    if start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    if start.minute or start.second or start.nanosecond or start.microsecond or start.hour % 3:
        raise DeepcamsError(f"start must fall on a 3-hourly CAMS time (00, 03, ... 21 UTC), got {start}")
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or not 1 <= days <= MAX_DAYS:
        raise DeepcamsError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DeepcamsError(f"seed must be a non-negative whole number, got {seed!r}")
    bbox = BBox.parse(bbox)
    if bbox is not None and bbox.width >= 360.0 and bbox.south <= -90.0 and bbox.north >= 90.0:
        bbox = None
    return start, int(days), bbox, int(seed)


def truth_axes(bbox: BBox | None) -> tuple[np.ndarray, np.ndarray]:
    """GEOS-CF axes made of the whole CAMS cells whose centres lie in the box (the globe for None).

    A region's longitudes are contiguous and start at or above -180 (values above 180 across the
    antimeridian, as `deepcams.grids.select_region` gives).
    """
    if bbox is None:
        return GEOSCF.lat, GEOSCF.lon
    lat_c, lon_c = region_lat(CAMS, bbox), region_lon(CAMS, bbox)
    if lat_c.size == 0 or lon_c.size == 0:
        raise DeepcamsError(f"bbox {bbox} holds no CAMS cell centre; make it at least 0.75 deg wide and tall")
    step = GEOSCF.step
    lat = lat_c[0] - step + step * np.arange(FACTOR * lat_c.size)
    lat = lat[(lat >= -90.0 - 1e-9) & (lat <= 90.0 + 1e-9)]
    lon = lon_c[0] - step + step * np.arange(FACTOR * lon_c.size)
    if lon.size >= GEOSCF.nlon:
        lon = GEOSCF.lon
    elif lon[0] < -180.0:
        lon = lon + 360.0
    return np.round(lat, 6), np.round(lon, 6)


# --- sources -------------------------------------------------------------------------------------------


def power_law_noise(rng: np.random.Generator, shape: tuple[int, int], beta: float) -> np.ndarray:
    """Gaussian random field with isotropic spectrum k^-beta, zero mean and unit variance (float32)."""
    white = rng.standard_normal(shape)
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.rfftfreq(shape[1])[None, :]
    k = np.hypot(ky, kx)
    k[0, 0] = np.inf
    field = np.fft.irfft2(np.fft.rfft2(white) * k ** (-beta / 2), s=shape)
    return ((field - field.mean()) / field.std()).astype("float32")


class Sources:
    """Static source maps on the global GEOS-CF grid, and the extreme wildfire, for one seed and season."""

    def __init__(self, rng: np.random.Generator, start: pd.Timestamp, bbox: BBox | None):
        lat, lon = GEOSCF.lat, GEOSCF.lon
        land = geography.land_fraction()
        texture = [power_law_noise(rng, GEOSCF.shape, 3.4) for _ in range(4)]
        self.land = land
        # valleys collect PM2.5 and mountains stay clean: a static fine-scale factor over land
        self.terrain = np.exp(TERRAIN_SIGMA * land * texture[3])
        populated = np.clip((62.0 - np.abs(lat)) / 10.0, 0.0, 1.0)[:, None]  # no towns on the ice caps
        # cities and industry, plus the diffuse man-made and secondary haze over all inhabited land
        self.urban = (self._urban(lat, lon, land) + HAZE * land * populated) * np.exp(0.8 * texture[0])
        self.dust = self._boxes(lat, lon, geography.DESERTS) * land * np.exp(0.8 * texture[1])
        self.fires = self._fires(rng, lat, lon, land, start.month, texture[2])
        self.extreme_lat, self.extreme_lon = self._extreme_site(rng, start.month, bbox, land)
        self.extreme_text = f"{self.extreme_lat:.2f}N {self.extreme_lon:.2f}E"
        self.extreme_onset = -float(rng.uniform(24.0, 36.0))  # hours before the first frame

    @staticmethod
    def _urban(lat, lon, land):
        field = np.zeros(GEOSCF.shape, dtype="float32")
        for lat0, lon0, strength, radius in geography.URBAN:
            rows = np.abs(lat - lat0) < 4 * radius
            field[rows] += strength * geography.blob(lat[rows], lon, lat0, lon0, radius)
        return field * (0.2 + 0.8 * land)

    @staticmethod
    def _boxes(lat, lon, boxes):
        field = np.zeros(GEOSCF.shape, dtype="float32")
        for south, north, west, east, weight in boxes:
            field += weight * geography.box_weight(lat, lon, south, north, west, east)
        return field

    @staticmethod
    def _fires(rng, lat, lon, land, month, texture):
        """Point fires (lognormal strength) scattered over the regions in season, plus smouldering haze."""
        season = np.zeros(GEOSCF.shape, dtype="float32")
        for south, north, west, east, months in geography.FIRE_REGIONS:
            if month in months:
                season += geography.box_weight(lat, lon, south, north, west, east)
        season *= land
        ignite = rng.random(GEOSCF.shape, dtype="float32") < FIRE_DENSITY * season
        strength = rng.lognormal(0.0, 1.0, GEOSCF.shape).astype("float32")
        return (ignite * strength + SMOULDER * season * np.exp(texture)).astype("float32")

    @staticmethod
    def _extreme_site(rng, month, bbox, land) -> tuple[float, float]:
        """A fire-prone site in season (inside the box if one is), else a land point well inside the box."""
        sites = [(lat, lon) for lat, lon, months in geography.EXTREME_FIRES if month in months]
        if bbox is not None:
            lat_axis, lon_axis = truth_axes(bbox)
            inside = [
                (lat, lon)
                for lat, lon in sites
                if lat_axis[0] + 1 <= lat <= lat_axis[-1] - 1
                and lon_axis[0] + 1 <= wrap_lon(lon, lon_axis[0]) <= lon_axis[-1] - 1
            ]
            if inside:
                sites = inside
            else:
                rows = GEOSCF.lat_index(lat_axis[lat_axis.size // 5 : max(lat_axis.size * 4 // 5, 1)])
                cols = GEOSCF.lon_index(lon_axis[lon_axis.size // 5 : max(lon_axis.size * 4 // 5, 1)])
                sub = land[np.ix_(rows, cols)]
                candidates = np.argwhere(sub > 0.9)
                if len(candidates) == 0:
                    candidates = np.argwhere(sub >= sub.max())
                i, j = candidates[rng.integers(len(candidates))]
                return float(GEOSCF.lat[rows[i]]), float(GEOSCF.lon[cols[j]])
        if not sites:
            sites = [(lat, lon) for lat, lon, _ in geography.EXTREME_FIRES]
        lat, lon = sites[rng.integers(len(sites))]
        return float(lat), float(lon)

    def on_grid(self, lat: np.ndarray, lon: np.ndarray, step: float) -> dict[str, np.ndarray]:
        """The maps sampled on a model grid; a coarser grid takes block means, so point fires survive."""
        fields = {
            "land": self.land,
            "terrain": self.terrain,
            "urban": self.urban,
            "dust": self.dust,
            "fires": self.fires,
        }
        size = int(round(step / GEOSCF.step))
        rows, cols = GEOSCF.lat_index(lat), GEOSCF.lon_index(lon)
        out = {}
        for name, field in fields.items():
            if size > 1:
                field = ndimage.uniform_filter(field, size=size, mode=("nearest", "wrap"))
            out[name] = np.ascontiguousarray(field[np.ix_(rows, cols)], dtype="float32")
        out["extreme"] = geography.blob(lat, lon, self.extreme_lat, self.extreme_lon, 0.3)
        out["ocean"] = 1.0 - out["land"]
        return out


# --- transport -----------------------------------------------------------------------------------------


class Model:
    """The tracer on one lat/lon grid: one hourly step of advection, deposition and emission."""

    def __init__(self, weather: Weather, sources: Sources, start, lat, lon, periodic: bool):
        self.weather, self.start = weather, start
        self.lat, self.lon, self.periodic = lat, lon, periodic
        self.step = float(lat[1] - lat[0])
        self.maps = sources.on_grid(lat, lon, self.step)
        self.extreme_onset = sources.extreme_onset
        self.extreme_core = int(np.argmax(self.maps["extreme"]))
        self.rows = np.arange(lat.size, dtype="float32")[:, None]
        self.cols = np.arange(lon.size, dtype="float32")[None, :]
        per_pixel = HOUR / (EARTH_RADIUS * np.radians(self.step))
        self.dy_per_v = np.float32(per_pixel)
        coslat = np.maximum(np.cos(np.radians(lat)), np.cos(np.radians(86.0)))
        self.dx_per_u = (per_pixel / coslat)[:, None].astype("float32")
        self.background = (BACKGROUND + 0.6 * np.exp(-((lat / 30.0) ** 2)))[:, None].astype("float32")

    def local_hour(self, hours: float) -> np.ndarray:
        utc = (self.start + pd.Timedelta(hours=hours)).hour
        return ((utc + self.lon / 15.0) % 24.0)[None, :].astype("float32")

    def advance(self, conc: np.ndarray, hours: float) -> np.ndarray:
        """The field one hour after `hours` (hours since the start of the period)."""
        u, v = self.weather.wind(self.lat, self.lon, hours)
        rows = self.rows - v * self.dy_per_v
        np.clip(rows, 0, self.lat.size - 1, out=rows)
        cols = self.cols - u * self.dx_per_u
        if self.periodic:
            np.mod(cols, self.lon.size, out=cols)
        else:
            np.clip(cols, 0, self.lon.size - 1, out=cols)
        mode = "grid-wrap" if self.periodic else "nearest"
        conc = ndimage.map_coordinates(conc, np.stack([rows, cols]), order=1, mode=mode, output=np.float32)
        rain = self.weather.rain_rate(self.lat, self.lon, hours)
        # relaxation to the background: dry lifetime DRY_LIFETIME, washout under rain, and venting of the
        # daytime convective boundary layer over land into the free troposphere
        daytime = np.exp(-(((self.local_hour(hours) - 14.0) / 4.0) ** 2))
        keep = np.float32(np.exp(-1.0 / DRY_LIFETIME)) * (1.0 - np.float32(WET_RATE) * rain)
        keep *= 1.0 - np.float32(VENTING_RATE) * daytime * self.maps["land"]
        conc -= self.background
        conc *= keep
        conc += self.background
        conc += self.emission(hours + 1.0, np.hypot(u, v), conc)
        return conc

    def emission(self, hours: float, speed: np.ndarray, conc: np.ndarray) -> np.ndarray:
        maps, hour = self.maps, self.local_hour(hours)
        traffic = 1.0 + 0.35 * np.cos(2 * np.pi * (hour - 20.0) / 24.0)
        burning = 0.35 + 1.3 * np.exp(-(((hour - 14.5) / 3.5) ** 2))
        gust = np.clip(speed - GUST_THRESHOLD, 0.0, 8.0)
        gust *= gust
        out = maps["urban"] * (URBAN_RATE * traffic)
        out += maps["dust"] * gust * DUST_RATE
        out += maps["fires"] * (FIRE_RATE * burning)
        if hours >= self.extreme_onset:
            # the extreme fire is steered: its emission grows while the air at its core is below
            # EXTREME_TARGET and shrinks above it (as the frames show it), so every seed and season has
            # its > 1000 ug m-3 plume
            growth = min((hours - self.extreme_onset) / 24.0, 1.0)
            core = float(self.surface(conc, hours).flat[self.extreme_core])
            steer = np.clip(EXTREME_TARGET / (core + 1.0), 0.2, 20.0)
            out += maps["extreme"] * (EXTREME_RATE * growth * burning * steer)
        speed *= speed
        out += maps["ocean"] * speed * SEA_SALT_RATE
        return out

    def surface(self, conc: np.ndarray, hours: float) -> np.ndarray:
        """What the frames show: the tracer under a shallow night-time / deep afternoon boundary layer."""
        cycle = BOUNDARY_LAYER_AMPLITUDE * np.cos(2 * np.pi * (self.local_hour(hours) - 5.0) / 24.0)
        return conc * (1.0 + self.maps["land"] * cycle) * self.maps["terrain"]


def domain_axes(truth_lat, truth_lon, step: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """Model axes on a grid of `step` covering the truth area plus MARGIN (the globe when it wraps)."""
    lat0 = max(-90.0, np.floor((truth_lat[0] - MARGIN) / step) * step)
    lat1 = min(90.0, np.ceil((truth_lat[-1] + MARGIN) / step) * step)
    lat = np.arange(lat0, lat1 + step / 2, step)
    width = truth_lon[-1] - truth_lon[0] + 2 * MARGIN
    if truth_lon.size >= GEOSCF.nlon or width >= 360.0 - step:
        return lat, -180.0 + step * np.arange(int(round(360 / step))), True
    lon0 = np.floor((truth_lon[0] - MARGIN) / step) * step
    lon = np.arange(lon0, truth_lon[-1] + MARGIN + step / 2, step)
    return lat, lon, False


def regrid(conc: np.ndarray, src_lat, src_lon, lat, lon, periodic: bool) -> np.ndarray:
    """Bilinear interpolation from one model grid to another covering the same area."""
    step = src_lat[1] - src_lat[0]
    rows = np.clip((lat - src_lat[0]) / step, 0, src_lat.size - 1)
    offset = lon - src_lon[0]
    if periodic:
        offset %= 360.0
    cols = np.clip(offset / step, 0, src_lon.size - (0 if periodic else 1))
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    mode = "grid-wrap" if periodic else "nearest"
    return ndimage.map_coordinates(conc, (rr, cc), order=1, mode=mode, output=np.float32)


class Flicker:
    """Sub-grid variability: a multiplicative lognormal power-law texture that changes within hours.

    Fresh textures every FLICKER_PERIOD hours, blended with cos/sin weights (variance-preserving), stand
    for what a 0.25 deg transport model resolves and this world does not (convection, local emissions,
    cloud processing): fine-scale structure and the hour-to-hour change of real frames.
    """

    def __init__(self, rng: np.random.Generator, shape: tuple[int, int]):
        self.rng, self.shape, self.keys, self.made = rng, shape, {}, 0

    def key(self, index: int) -> np.ndarray:
        """Texture number `index` (drawn in order, so the same seed gives the same sequence)."""
        while self.made <= index:
            self.keys[self.made] = power_law_noise(self.rng, self.shape, FLICKER_BETA)
            self.keys.pop(self.made - 2, None)
            self.made += 1
        return self.keys[index]

    def factor(self, hours: float) -> np.ndarray:
        index, fraction = divmod(hours, FLICKER_PERIOD)
        angle = 0.5 * np.pi * fraction / FLICKER_PERIOD
        noise = np.cos(angle) * self.key(int(index)) + np.sin(angle) * self.key(int(index) + 1)
        return np.exp(FLICKER_SIGMA * noise)


def simulate(weather, sources, start, frames, truth_lat, truth_lon, flicker_rng):
    """Spin up, then run the hourly frames; returns (frames, ny, nx) float32 and the truth axes."""
    lat_c, lon_c, periodic = domain_axes(truth_lat, truth_lon, CAMS.step)
    coarse = Model(weather, sources, start, lat_c, lon_c, periodic)
    conc = np.broadcast_to(coarse.background, (lat_c.size, lon_c.size)).astype("float32")
    hours = -float(SPINUP_COARSE + SPINUP_FINE)
    for _ in range(SPINUP_COARSE):
        conc = coarse.advance(conc, hours)
        hours += 1.0
    lat_f, lon_f, periodic = domain_axes(truth_lat, truth_lon, GEOSCF.step)
    fine = Model(weather, sources, start, lat_f, lon_f, periodic)
    conc = regrid(conc, lat_c, lon_c, lat_f, lon_f, periodic)
    for _ in range(SPINUP_FINE):
        conc = fine.advance(conc, hours)
        hours += 1.0
    flicker = Flicker(flicker_rng, (truth_lat.size, truth_lon.size))
    rows = np.searchsorted(np.round(lat_f, 6), truth_lat)
    cols = np.round((truth_lon - lon_f[0]) / GEOSCF.step).astype(int) % lon_f.size
    box = np.ix_(rows, cols)
    out = np.empty((frames, truth_lat.size, truth_lon.size), dtype="float32")
    for k in range(frames):
        out[k] = fine.surface(conc, hours)[box] * flicker.factor(hours)
        if k + 1 < frames:
            conc = fine.advance(conc, hours)
            hours += 1.0
    return out, truth_lat, truth_lon


# --- the CAMS-like model -------------------------------------------------------------------------------


def cams_like(truth: xr.Dataset, rng: np.random.Generator, exact: bool) -> xr.Dataset:
    """Every third hour of the truth on the CAMS grid: exactly coarsened, or as a different model sees it."""
    hours = pd.DatetimeIndex(truth["time"].values).hour
    three_hourly = truth.isel(time=np.flatnonzero(hours % FACTOR == 0))
    if exact:
        return coarsen(three_hourly)
    values = three_hourly["pm25"].values
    ny, nx = values.shape[1:]
    shift_y = 1.6 * smooth_field(rng, (ny, nx))
    shift_x = 1.6 * smooth_field(rng, (ny, nx))
    rows = np.clip(np.arange(ny)[:, None] + shift_y, 0, ny - 1)
    cols = np.arange(nx)[None, :] + shift_x
    periodic = nx == GEOSCF.nlon
    cols = cols % nx if periodic else np.clip(cols, 0, nx - 1)
    mode = "grid-wrap" if periodic else "nearest"
    moved = np.stack(
        [
            ndimage.map_coordinates(frame, (rows, cols), order=1, mode=mode, output=np.float32)
            for frame in values
        ]
    )
    coarse = coarsen(three_hourly.copy(data={"pm25": moved}))
    bias = np.exp(0.22 * smooth_field(rng, coarse["pm25"].shape[1:])).astype("float32")
    return coarse.copy(data={"pm25": coarse["pm25"].values * bias})


def smooth_field(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A smooth random field (features of a few hundred km to thousands), unit standard deviation."""
    return power_law_noise(rng, shape, 5.0)
