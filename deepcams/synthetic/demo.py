"""The demo dataset on disk: the synthetic world written in the providers' conventions, and its cache.

The files go through the same writers and readers as real downloads (CAMS EAC4 NetCDF `cams.nc`, GEOS-CF
NetCDF `geoscf.nc`), so the demo exercises the user's path. The cache lives in the user's cache directory
(platformdirs; `DEEPCAMS_CACHE_DIR` overrides it), one folder per generator version and arguments.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import platformdirs
import xarray as xr

from deepcams.io.providers import to_cams_netcdf, to_geoscf_netcdf
from deepcams.io.readers import open_cams, open_geoscf
from deepcams.synthetic.world import GENERATOR_VERSION, check_arguments, make_world

CAMS_FILE = "cams.nc"
GEOSCF_FILE = "geoscf.nc"
# the truth is read by region (the dashboard cuts each run's box): 4 x 4 tiles a frame, so a region day
# decompresses its own tiles, not 25 global frames (0.8 s of a Europe day's 8.4 s click-to-maps before)
TRUTH_TILE = (181, 360)


def write_demo(
    directory: str | os.PathLike,
    days: int = 3,
    start: str = "2024-03-01",
    bbox=None,
    seed: int = 0,
    exact: bool = False,
) -> tuple[Path, Path]:
    """Write the synthetic world as DIR/cams.nc (CAMS EAC4 conventions) and DIR/geoscf.nc (GEOS-CF).

    Each file is written atomically; if the second fails the first is removed, so no half demo remains.
    """
    cams, truth = make_world(days=days, start=start, bbox=bbox, seed=seed, exact=exact)
    directory = Path(directory)
    cams_path = to_cams_netcdf(cams, directory / CAMS_FILE)
    try:
        geoscf_path = to_geoscf_netcdf(truth, directory / GEOSCF_FILE, tile=TRUTH_TILE)
    except BaseException:
        cams_path.unlink(missing_ok=True)
        raise
    return cams_path, geoscf_path


def cache_root() -> Path:
    """Where cached demos live: $DEEPCAMS_CACHE_DIR, else the platform's user cache directory."""
    override = os.environ.get("DEEPCAMS_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("deepcams"))


def cache_key(days=3, start="2024-03-01", bbox=None, seed=0, exact=False) -> str:
    """Folder name for one generator version and set of arguments (normalised, so equal requests share it)."""
    start, days, bbox, seed = check_arguments(days, start, bbox, seed)
    spec = {
        "generator": GENERATOR_VERSION,
        "days": days,
        "start": start.isoformat(),
        "bbox": str(bbox) if bbox is not None else None,
        "seed": seed,
        "exact": bool(exact),
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    return f"synthetic-v{GENERATOR_VERSION}-{digest}"


def demo_files(days=3, start="2024-03-01", bbox=None, seed=0, exact=False) -> tuple[Path, Path]:
    """Paths of the cached demo files, generating them on first use."""
    root = cache_root()
    folder = root / cache_key(days, start, bbox, seed, exact)
    files = folder / CAMS_FILE, folder / GEOSCF_FILE
    if all(path.is_file() for path in files):
        return files
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
    try:
        write_demo(tmp, days=days, start=start, bbox=bbox, seed=seed, exact=exact)
        if folder.exists():  # a broken earlier attempt (files missing): replace it
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not all(path.is_file() for path in files):  # not another process finishing first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return files


def open_demo(
    days: int = 3, start: str = "2024-03-01", bbox=None, seed: int = 0, exact: bool = False
) -> tuple[xr.Dataset, xr.Dataset]:
    """The demo (cams, truth) read through `open_cams` and `open_geoscf`, from the cache (made on first use)."""
    cams_path, geoscf_path = demo_files(days, start, bbox, seed, exact)
    return open_cams(cams_path), open_geoscf(geoscf_path)
