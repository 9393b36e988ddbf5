"""The maps' projections: cartopy CRSs the page offers, and how a lon/lat field is drawn in each.

Plate carrée (the default) draws the field as it is, its x axis the longitude shifted by the projection's
central longitude (180 for a region across the antimeridian), so nothing is resampled and datashader
rasterizes as before. Any other projection resamples the field once per hour onto a fixed raster in the
projected plane through an index computed once per region (nearest neighbour): cheap per hour, but its
detail is that raster's. Taps and drawn boxes are always turned back into lon/lat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cartopy.crs as ccrs
import numpy as np
from bokeh.models import CustomJSTickFormatter

from deepcams.grids import wrap_lon

PLATE_CARREE = "Plate carrée (lon/lat)"
PROJECTIONS = (
    PLATE_CARREE,
    "Robinson (global)",
    "Equal Earth (equal-area)",
    "Orthographic (centred on the region)",
    "North polar stereographic",
    "South polar stereographic",
)


def centre_lon(west: float, east: float) -> float:
    """The central longitude of the maps: 0, or 180 for a region that runs past 180 E."""
    return 180.0 if east > 180.0 else 0.0


def make_crs(name: str, west: float, south: float, east: float, north: float) -> ccrs.Projection:
    """The cartopy CRS of projection `name` for a region (the orthographic one looks at its centre)."""
    if name == PLATE_CARREE:
        return ccrs.PlateCarree(central_longitude=centre_lon(west, east))
    middle = (west + east) / 2
    return {
        "Robinson (global)": lambda: ccrs.Robinson(central_longitude=centre_lon(west, east)),
        "Equal Earth (equal-area)": lambda: ccrs.EqualEarth(central_longitude=centre_lon(west, east)),
        "Orthographic (centred on the region)": lambda: ccrs.Orthographic(middle, (south + north) / 2),
        "North polar stereographic": lambda: ccrs.NorthPolarStereo(central_longitude=middle),
        "South polar stereographic": lambda: ccrs.SouthPolarStereo(central_longitude=middle),
    }[name]()


def lon_formatter(central: float) -> CustomJSTickFormatter:
    """Tick labels of a plate carrée x axis as longitudes in -180..180 with E/W (170 W, not 190)."""
    return CustomJSTickFormatter(
        code=f"const l = ((tick + {central} + 540) % 360) - 180; "
        "return Math.abs(l).toFixed(Math.abs(l % 1) > 1e-9 ? 1 : 0) + '°' + (l > 0 ? 'E' : l < 0 ? 'W' : '');"
    )


def plane_lines(crs: ccrs.Projection, lonlat: np.ndarray) -> np.ndarray:
    """NaN-separated lon/lat lines (n, 2) as NaN-separated lines of the projected plane.

    Projected here with one vectorised cartopy call and handed to HoloViews as a plain path in plane
    coordinates: a GeoViews path of NaN-separated lines is split into one geometry per segment on every
    render, which kept the server busy for seconds per map (docs/benchmarks.md). A segment that leaves the
    projection's domain, or jumps across its seam (more than a quarter of the plane's width), breaks the line.
    """
    lonlat = np.asarray(lonlat, dtype="float64")
    xy = crs.transform_points(ccrs.PlateCarree(), lonlat[:, 0], lonlat[:, 1])[:, :2]
    xy[~np.isfinite(xy).all(axis=1)] = np.nan
    x0, x1 = crs.x_limits
    jump = np.abs(np.diff(xy[:, 0])) > (x1 - x0) / 4
    if jump.any():  # a NaN row between the two points of each jump
        xy = np.insert(xy, np.flatnonzero(jump) + 1, np.nan, axis=0)
    return xy


LAT_FORMATTER_CODE = "return Math.abs(tick) + '°' + (tick > 0 ? 'N' : tick < 0 ? 'S' : '');"


@dataclass
class Resampler:
    """Nearest-neighbour lookup from a raster in a projected plane to a regular lon/lat field's cells."""

    crs: ccrs.Projection
    lon: np.ndarray  # the field's axes (lon increasing, may run past 180)
    lat: np.ndarray
    pixels: int = 500  # the raster's longer side
    x: np.ndarray = field(init=False)
    y: np.ndarray = field(init=False)
    _rows: np.ndarray = field(init=False, repr=False)
    _cols: np.ndarray = field(init=False, repr=False)
    _inside: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        edge_lon = np.concatenate(
            [
                self.lon,
                np.full(self.lat.size, self.lon[-1]),
                self.lon[::-1],
                np.full(self.lat.size, self.lon[0]),
            ]
        )
        edge_lat = np.concatenate(
            [
                np.full(self.lon.size, self.lat[0]),
                self.lat,
                np.full(self.lon.size, self.lat[-1]),
                self.lat[::-1],
            ]
        )
        inner_lon, inner_lat = np.meshgrid(
            self.lon[:: max(1, self.lon.size // 40)], self.lat[:: max(1, self.lat.size // 40)]
        )
        sample_lon = np.concatenate([edge_lon, inner_lon.ravel()])
        sample_lat = np.concatenate([edge_lat, inner_lat.ravel()])
        xy = self.crs.transform_points(ccrs.PlateCarree(), sample_lon, sample_lat)[:, :2]
        xy = xy[np.isfinite(xy).all(axis=1)]
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        scale = max(x1 - x0, y1 - y0) / self.pixels
        self.x = np.linspace(x0, x1, max(int((x1 - x0) / scale), 2))
        self.y = np.linspace(y0, y1, max(int((y1 - y0) / scale), 2))
        gx, gy = np.meshgrid(self.x, self.y)
        back = ccrs.PlateCarree().transform_points(self.crs, gx.ravel(), gy.ravel())
        lon = wrap_lon(back[:, 0], self.lon[0])  # onto the field's own longitude axis
        lat = back[:, 1]
        step_lon = (self.lon[-1] - self.lon[0]) / max(self.lon.size - 1, 1) or 1.0
        step_lat = (self.lat[-1] - self.lat[0]) / max(self.lat.size - 1, 1) or 1.0
        cols = np.rint((lon - self.lon[0]) / step_lon)
        rows = np.rint((lat - self.lat[0]) / step_lat)
        self._inside = (
            np.isfinite(back[:, :2]).all(axis=1)
            & (cols >= 0)
            & (cols < self.lon.size)
            & (rows >= 0)
            & (rows < self.lat.size)
        )
        self._cols = np.where(self._inside, cols, 0).astype("intp")
        self._rows = np.where(self._inside, rows, 0).astype("intp")

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """The (lat, lon) `values` on the projected raster (y, x); NaN outside the field."""
        out = np.where(self._inside, values[self._rows, self._cols], np.nan)
        return out.reshape(self.y.size, self.x.size).astype("float32")
