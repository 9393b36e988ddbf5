"""The two grids, their exact alignment, regions and coarsening.

CAMS EAC4 (0.75 deg, 241 x 480) and GEOS-CF (0.25 deg, 721 x 1440) share the poles and the -180 meridian,
so CAMS cell (i, j) is centred on GEOS-CF pixel (3i, 3j) and covers rows 3i-1..3i+1 and columns 3j-1..3j+1
(periodic in longitude; the two pole cells are half cells with rows 0..1 and 719..720). Everything in the
library uses the canonical layout: dims (time, lat, lon), lat ascending, lon in [-180, 180) (or a contiguous
unwrapped axis for regions crossing the antimeridian).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from deepcams.errors import DeepcamsError

FACTOR = 3  # GEOS-CF pixels per CAMS cell along each axis


@dataclass(frozen=True)
class Grid:
    """A global regular lat/lon grid with lat ascending from -90 and lon from -180."""

    name: str
    step: float

    @property
    def nlat(self) -> int:
        return int(round(180 / self.step)) + 1

    @property
    def nlon(self) -> int:
        return int(round(360 / self.step))

    @property
    def shape(self) -> tuple[int, int]:
        return self.nlat, self.nlon

    @property
    def lat(self) -> np.ndarray:
        return (-90.0 + self.step * np.arange(self.nlat)).astype("float64")

    @property
    def lon(self) -> np.ndarray:
        return (-180.0 + self.step * np.arange(self.nlon)).astype("float64")

    def lat_index(self, lat: np.ndarray | float) -> np.ndarray:
        return np.rint((np.asarray(lat, dtype="float64") + 90.0) / self.step).astype(int)

    def lon_index(self, lon: np.ndarray | float) -> np.ndarray:
        """Column of each longitude, periodic: 180 and -180 are the same column."""
        return np.rint((np.asarray(lon, dtype="float64") + 180.0) / self.step).astype(int) % self.nlon

    def contains(self, da: xr.DataArray | xr.Dataset) -> bool:
        """True when the lat/lon coordinates lie exactly on this grid's nodes."""
        for name in ("lat", "lon"):
            values = np.asarray(da[name].values, dtype="float64")
            if values.size == 0:
                return False
            offset = (values + (90.0 if name == "lat" else 180.0)) / self.step
            if not np.allclose(offset, np.rint(offset), atol=1e-4):
                return False
        return True

    def coords(self) -> dict[str, xr.DataArray]:
        return {"lat": lat_coord(self.lat), "lon": lon_coord(self.lon)}


CAMS = Grid("CAMS EAC4 0.75 deg", 0.75)
GEOSCF = Grid("GEOS-CF 0.25 deg", 0.25)


def lat_coord(values: np.ndarray) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype="float64"),
        dims="lat",
        attrs={"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north", "axis": "Y"},
    )


def lon_coord(values: np.ndarray) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype="float64"),
        dims="lon",
        attrs={"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east", "axis": "X"},
    )


def grid_of(da: xr.DataArray | xr.Dataset) -> Grid:
    """The grid a field lies on, judged by its coordinate spacing."""
    for grid in (GEOSCF, CAMS):
        if da.sizes.get("lon", 0) > 1 and grid.contains(da):
            step = float(np.median(np.diff(da["lon"].values)))
            if abs(step - grid.step) < 1e-6:
                return grid
    raise DeepcamsError("field is on neither the CAMS 0.75 deg nor the GEOS-CF 0.25 deg grid")


def require_grid(data: xr.DataArray | xr.Dataset, grid: Grid, what: str, hint: str = "") -> None:
    """Refuse data that is not `grid` or one contiguous box of it: nodes off the grid, or gaps between them.

    The error names `what` was checked (e.g. "downscale input") and ends with `hint` (what to do instead).
    """
    problem = None
    if not grid.contains(data):
        problem = "coordinates off the grid nodes"
    else:
        for name in ("lat", "lon"):
            values = np.asarray(data[name].values, dtype="float64")
            if values.size > 1 and not np.allclose(np.diff(values), grid.step, atol=1e-4):
                problem = f"{name} spacing is not the regular {grid.step:g} deg"
                break
    if problem is not None:
        raise DeepcamsError(f"{what} is not on the {grid.name} grid ({problem}){f'; {hint}' if hint else ''}")


# --- regions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BBox:
    """A lon/lat box W, S, E, N in degrees; W > E means the box crosses the antimeridian."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        for name in ("west", "east"):
            if not -180.0 <= getattr(self, name) <= 360.0:
                raise DeepcamsError(f"bbox {name} {getattr(self, name)} is outside -180..360 degrees")
        if not -90.0 <= self.south <= 90.0 or not -90.0 <= self.north <= 90.0:
            raise DeepcamsError(f"bbox latitudes {self.south}, {self.north} are outside -90..90")
        if self.south >= self.north:
            raise DeepcamsError(f"empty bbox: south {self.south} is not below north {self.north}")
        if self.west == self.east:
            raise DeepcamsError(f"empty bbox: west equals east ({self.west})")

    @classmethod
    def parse(cls, text: str | tuple | list | BBox | None) -> BBox | None:
        """Parse 'W,S,E,N' (or a 4-sequence); None stays None (the globe)."""
        if text is None or isinstance(text, BBox):
            return text
        parts = text.replace(" ", ",").split(",") if isinstance(text, str) else list(text)
        parts = [p for p in parts if p != ""]
        if len(parts) != 4:
            raise DeepcamsError(f"bbox must be W,S,E,N (four numbers), got {text!r}")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise DeepcamsError(f"bbox must be W,S,E,N (four numbers), got {text!r}") from None
        return cls(west, south, east, north)

    @property
    def width(self) -> float:
        """Longitude extent in degrees, across the antimeridian when W > E."""
        west, east = float(wrap_lon(self.west)), float(wrap_lon(self.east))
        width = (east - west) % 360.0
        return 360.0 if width == 0 and self.east - self.west >= 360.0 else width

    def __str__(self) -> str:
        return f"{self.west:g},{self.south:g},{self.east:g},{self.north:g}"


def wrap_lon(lon, start: float = -180.0) -> np.ndarray:
    """Longitudes moved by whole turns into [start, start + 360): [-180, 180) by default, or onto a
    regional axis that runs past 180 when `start` is its first longitude."""
    return start + (np.asarray(lon, dtype="float64") - start) % 360.0


def _positions(
    source: np.ndarray, wanted: np.ndarray, period: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Index in `source` of each wanted coordinate, and whether it is there (to 1e-6 deg).

    A coordinate that is absent gets the index of the nearest one present (measured around the circle
    when `period` is given), so callers can either refuse it or replicate the data's edge.
    """
    source = np.asarray(source, dtype="float64")
    distance = wanted[:, None] - source[None, :]
    if period is not None:
        distance = (distance + period / 2) % period - period / 2
    nearest = np.abs(distance).argmin(axis=1)
    return nearest, np.abs(distance[np.arange(wanted.size), nearest]) < 1e-6


def region_lon(grid: Grid, bbox: BBox) -> np.ndarray:
    """Grid longitudes inside the box (inclusive), as a contiguous increasing axis.

    A box that crosses the antimeridian yields values above 180 (e.g. 150 .. 210) so the axis stays
    monotonic; a full-width box yields the grid's own -180 .. 180-step.
    """
    if bbox.width >= 360.0:
        return grid.lon
    west = float(wrap_lon(bbox.west))
    first = np.ceil((west + 180.0) / grid.step - 1e-9) * grid.step - 180.0
    last = west + bbox.width
    count = int(np.floor((last - first) / grid.step + 1e-9)) + 1
    return first + grid.step * np.arange(count)


def region_lat(grid: Grid, bbox: BBox) -> np.ndarray:
    first = np.ceil((bbox.south + 90.0) / grid.step - 1e-9) * grid.step - 90.0
    count = int(np.floor((bbox.north - first) / grid.step + 1e-9)) + 1
    return first + grid.step * np.arange(count)


def select_region(data: xr.Dataset | xr.DataArray, bbox: BBox | str | None) -> xr.Dataset | xr.DataArray:
    """Cut a box from global canonical data; works across the antimeridian with a contiguous lon axis."""
    bbox = BBox.parse(bbox)
    if bbox is None:
        return data
    grid = grid_of(data)
    lat = region_lat(grid, bbox)
    lon = region_lon(grid, bbox)
    if lat.size == 0 or lon.size == 0:
        raise DeepcamsError(f"bbox {bbox} holds no {grid.name} grid points")
    return take(data, grid, lat, lon)


def take(
    data: xr.Dataset | xr.DataArray,
    grid: Grid,
    lat: np.ndarray,
    lon: np.ndarray,
    outside: Literal["error", "edge"] = "error",
):
    """Pick grid points by coordinate from data on `grid`, wrapping longitude and reflecting across poles.

    Longitudes wrap when the data span the full circle; latitudes beyond a pole take the value mirrored
    about that pole (a halo for interpolation kernels). Points outside regional data are an error, or,
    with `outside="edge"`, take the value at the data's nearest edge (a halo for regional input).
    """
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    mirrored = np.where(lat > 90.0, 180.0 - lat, np.where(lat < -90.0, -180.0 - lat, lat))
    rows, rows_found = _positions(data["lat"].values, mirrored)
    cols, cols_found = _positions(data["lon"].values, lon, period=360.0)
    if outside == "error" and not (rows_found.all() and cols_found.all()):
        src_lat, src_lon = data["lat"].values, data["lon"].values
        raise DeepcamsError(
            f"requested area lat {lat.min():g}..{lat.max():g}, lon {lon.min():g}..{lon.max():g} is outside the "
            f"data (lat {src_lat.min():g}..{src_lat.max():g}, lon {src_lon.min():g}..{src_lon.max():g})"
        )
    out = data.isel(lat=xr.DataArray(rows, dims="lat"), lon=xr.DataArray(cols, dims="lon"))
    return out.assign_coords(lat=lat_coord(lat), lon=lon_coord(lon))


# --- footprint of a downscaling run --------------------------------------------------------------------


def target_axes(bbox: BBox | None) -> tuple[np.ndarray, np.ndarray]:
    """The GEOS-CF lat and lon axes of the output for a box (None: the globe); a box without pixels is an error."""
    if bbox is None:
        return GEOSCF.lat, GEOSCF.lon
    lat, lon = region_lat(GEOSCF, bbox), region_lon(GEOSCF, bbox)
    if lat.size == 0 or lon.size == 0:
        raise DeepcamsError(f"bbox {bbox} holds no GEOS-CF grid points")
    return lat, lon


@dataclass(frozen=True, eq=False)
class Footprint:
    """What a box needs from the CAMS grid, and how its output is cut from the x3 upsampled halo block.

    A run reads the `coarse_*` nodes (the box's cells plus a halo, wrapping longitude and mirroring across
    the poles), upsamples them x3 and keeps `block[..., rows, cols]`, which lies exactly on the `fine_*`
    axes. `input_*` are the nodes a regional input must itself hold (the halo may replicate its edge).
    `row_weights` (one per block row) is 0 for rows mirrored beyond a pole: the pole cells are half cells.
    """

    fine_lat: np.ndarray
    fine_lon: np.ndarray
    coarse_lat: np.ndarray
    coarse_lon: np.ndarray
    input_lat: np.ndarray
    input_lon: np.ndarray
    rows: slice
    cols: slice
    row_weights: np.ndarray

    @property
    def block_lat(self) -> np.ndarray:
        """Latitudes of the upsampled block's rows (beyond +-90 in a halo across a pole)."""
        return _fine_axis(self.coarse_lat)

    @property
    def block_lon(self) -> np.ndarray:
        return _fine_axis(self.coarse_lon)


def footprint(bbox: BBox | None, halo: int = 1) -> Footprint:
    """The footprint of a run over `bbox` (None: the globe) whose spatial method needs `halo` CAMS cells."""
    fine_lat, fine_lon = target_axes(bbox)
    coarse_lat, coarse_lon = _coarse_axis(fine_lat, halo), _coarse_axis(fine_lon, halo)
    block_lat, block_lon = _fine_axis(coarse_lat), _fine_axis(coarse_lon)
    row0 = int(np.rint((fine_lat[0] - block_lat[0]) / GEOSCF.step))
    col0 = int(np.rint((fine_lon[0] - block_lon[0]) / GEOSCF.step))
    return Footprint(
        fine_lat=fine_lat,
        fine_lon=fine_lon,
        coarse_lat=coarse_lat,
        coarse_lon=coarse_lon,
        input_lat=_nodes_inside(fine_lat),
        input_lon=_nodes_inside(fine_lon),
        rows=slice(row0, row0 + fine_lat.size),
        cols=slice(col0, col0 + fine_lon.size),
        row_weights=(np.abs(block_lat) <= 90.0 + 1e-9).astype("float64"),
    )


def _coarse_axis(fine: np.ndarray, halo: int) -> np.ndarray:
    """CAMS nodes whose blocks cover the fine axis, plus `halo` cells each side."""
    step = CAMS.step
    first = np.rint(fine[0] / step) - halo
    last = np.rint(fine[-1] / step) + halo
    return step * np.arange(first, last + 1)


def _fine_axis(coarse: np.ndarray) -> np.ndarray:
    """The GEOS-CF pixels of the CAMS cells on a contiguous coarse axis (x3 upsampling)."""
    return coarse[0] - GEOSCF.step + GEOSCF.step * np.arange(FACTOR * coarse.size)


def _nodes_inside(fine: np.ndarray) -> np.ndarray:
    """CAMS nodes within the fine axis's extent (the nearest one for a box narrower than a cell).

    These are the cells an area download from the ADS for the same box holds: a regional input must
    have them all; the pixels beyond its outermost nodes, and the halo, replicate its edge.
    """
    step = CAMS.step
    nodes = step * np.arange(np.ceil(fine[0] / step - 1e-9), np.floor(fine[-1] / step + 1e-9) + 1)
    return nodes if nodes.size else _coarse_axis(fine[:1], 0)


# --- coarsening ----------------------------------------------------------------------------------------


def interpolate_to_nodes(data: xr.Dataset, grid: Grid) -> xr.Dataset:
    """A canonical Dataset on another regular lat/lon grid, bilinearly interpolated to the nodes of `grid`
    inside its extent (a regional model's output onto the CAMS grid, e.g. to train the temporal stage).

    xarray's `interp` does the work; a node beyond the data's outermost rows or columns is not made up.
    """
    lat, lon = data["lat"].values, data["lon"].values
    nodes_lat = grid.lat[(grid.lat >= lat.min() - 1e-9) & (grid.lat <= lat.max() + 1e-9)]
    nodes_lon = grid.lon[(grid.lon >= lon.min() - 1e-9) & (grid.lon <= lon.max() + 1e-9)]
    if nodes_lat.size < 2 or nodes_lon.size < 2:
        raise DeepcamsError(f"the data's extent holds fewer than 2 x 2 nodes of the {grid.name} grid")
    out = data.interp(lat=nodes_lat, lon=nodes_lon, method="linear")
    out = out.assign_coords(lat=lat_coord(nodes_lat), lon=lon_coord(nodes_lon))
    out["pm25"].attrs = dict(data["pm25"].attrs)
    history = data.attrs.get("history", "")
    out.attrs = {**data.attrs, "history": f"{history}\nbilinear to the {grid.name} nodes (deepcams)".strip()}
    return out


def apply_taps(values: np.ndarray, index: np.ndarray, weight: np.ndarray, axis: int) -> np.ndarray:
    """Along `axis`, output k = sum over taps t of weight[k, t] * values[index[k, t]].

    Written as a loop over the few taps, not a dense matrix product, so that a NaN reaches only the
    outputs whose taps give it a nonzero weight (a matrix product would spread it along the whole axis).
    """
    axis = axis % values.ndim
    shape = (-1,) + (1,) * (values.ndim - axis - 1)
    out = None
    for tap in range(index.shape[1]):
        w = weight[:, tap].reshape(shape).astype(values.dtype)
        term = np.take(values, index[:, tap], axis=axis) * w
        term = np.where(w != 0, term, 0)
        out = term if out is None else out + term
    return out


def area_weights(lat: np.ndarray, step: float) -> np.ndarray:
    """Relative area of grid rows: difference of sin(lat) over each row's extent, clipped at the poles."""
    upper = np.radians(np.clip(lat + step / 2, -90, 90))
    lower = np.radians(np.clip(lat - step / 2, -90, 90))
    return np.sin(upper) - np.sin(lower)


def coarsen(
    data: xr.Dataset | xr.DataArray, weighting: Literal["uniform", "area"] = "uniform"
) -> xr.Dataset | xr.DataArray:
    """GEOS-CF grid -> CAMS grid: the mean over each CAMS cell's 3 x 3 (half at the poles) pixel block.

    Works on the global grid (periodic longitude, half cells at the poles) and on regions whose pixels are
    whole blocks. A block holding a NaN is NaN: missing data is never averaged away. `weighting="area"`
    weights rows by their true area, so the result is the area mean.
    """
    if isinstance(data, xr.Dataset):
        return data.map(
            lambda v: coarsen(v, weighting) if {"lat", "lon"} <= set(v.dims) else v, keep_attrs=True
        )
    if not GEOSCF.contains(data):
        raise DeepcamsError("coarsen expects data on the GEOS-CF 0.25 deg grid")
    lat = data["lat"].values
    lon = data["lon"].values
    row_index, row_weight, lat_out = block_taps(lat, periodic=False, poles=True)
    col_index, col_weight, lon_out = block_taps(lon, periodic=lon.size == GEOSCF.nlon)
    if weighting == "area":
        row_weight = row_weight * area_weights(lat, GEOSCF.step)[row_index]
    row_weight = row_weight / row_weight.sum(axis=1, keepdims=True)
    col_weight = col_weight / col_weight.sum(axis=1, keepdims=True)

    def apply(values: np.ndarray) -> np.ndarray:
        values = values.astype("float64")
        rows = apply_taps(values, row_index, row_weight, axis=-2)
        return apply_taps(rows, col_index, col_weight, axis=-1).astype("float32")

    if data.chunks is not None:  # lazy input: whole frames per chunk, time stays chunked
        data = data.chunk({"lat": -1, "lon": -1})
    out = xr.apply_ufunc(
        apply,
        data,
        input_core_dims=[["lat", "lon"]],
        output_core_dims=[["lat_c", "lon_c"]],
        dask="parallelized",
        output_dtypes=["float32"],
        dask_gufunc_kwargs={"output_sizes": {"lat_c": lat_out.size, "lon_c": lon_out.size}},
        keep_attrs=True,
    )
    out = out.rename(lat_c="lat", lon_c="lon").assign_coords(lat=lat_coord(lat_out), lon=lon_coord(lon_out))
    return out.transpose(*data.dims)


def block_taps(
    values: np.ndarray, periodic: bool, poles: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each CAMS cell along a fine axis: its 3 fine pixel indices, their weights (0 = no pixel), centre.

    Fine pixel k belongs to the nearest CAMS node; on a latitude axis (`poles`) the pole cells hold two
    pixels, all others three.
    A regional axis must consist of whole blocks.
    """
    coarse_step = FACTOR * GEOSCF.step
    if periodic:
        count = values.size // FACTOR
        index = (FACTOR * np.arange(count)[:, None] + np.arange(-1, 2)[None, :]) % values.size
        return index, np.ones(index.shape), values[0] + coarse_step * np.arange(count)
    nearest = np.round(np.rint(values / coarse_step) * coarse_step, 6)
    centres, cells = np.unique(nearest, return_inverse=True)
    cells = cells.ravel()
    counts = np.bincount(cells, minlength=centres.size)
    expected = np.where(poles & np.isclose(np.abs(centres), 90.0), FACTOR - 1, FACTOR)
    if np.any(counts != expected):
        raise DeepcamsError("region is not made of whole 3 x 3 blocks of the CAMS grid; cannot coarsen")
    index = np.zeros((centres.size, FACTOR), dtype=int)
    weight = np.zeros((centres.size, FACTOR))
    slot = np.arange(values.size) - np.searchsorted(cells, cells)  # position of each pixel inside its block
    index[cells, slot] = np.arange(values.size)
    weight[cells, slot] = 1.0
    return index, weight, centres
