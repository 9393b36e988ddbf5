"""Exports: a result as NetCDF (the CLI's output format) and the maps of the current view as PNG."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from deepcams.dashboard import coastlines
from deepcams.io import to_netcdf


def netcdf_bytes(ds: xr.Dataset) -> io.BytesIO:
    """The Dataset written by `deepcams.to_netcdf` (compressed CF NetCDF4), as bytes for a download."""
    with tempfile.TemporaryDirectory() as folder:
        path = to_netcdf(ds, Path(folder) / "result.nc")
        return io.BytesIO(path.read_bytes())


def png_bytes(
    frames: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    title: str,
    clim: tuple[float, float],
    log: bool,
    cmap: str,
    diff_limit: float,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> io.BytesIO:
    """Maps (name -> lon, lat, values) drawn like the dashboard: shared colour scale, coastlines, the view."""
    count = len(frames)
    cols = min(count, 3)
    rows = int(np.ceil(count / cols))
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows + 0.4), layout="constrained")
    fig.suptitle(title)
    coast = coastlines.lines("coastline", "50m", *x_range)
    borders = coastlines.lines("borders", "50m", *x_range)
    for k, (name, (lon, lat, values)) in enumerate(frames.items()):
        ax = fig.add_subplot(rows, cols, k + 1)
        diff = name.endswith(" - truth")
        if diff:
            norm, colours, line = Normalize(-diff_limit, diff_limit), "RdBu_r", "black"
        else:
            norm = LogNorm(*clim) if log else Normalize(*clim)
            colours, line = cmap, "white"
        mesh = ax.pcolormesh(
            lon, lat, np.ma.masked_invalid(values), norm=norm, cmap=colours, shading="nearest"
        )
        ax.plot(coast[:, 0], coast[:, 1], color=line, linewidth=0.6)
        ax.plot(borders[:, 0], borders[:, 1], color=line, linewidth=0.3, alpha=0.7)
        ax.set_xlim(*x_range)
        ax.set_ylim(*y_range)
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=10)
        fig.colorbar(mesh, ax=ax, shrink=0.8, label="difference (ug m-3)" if diff else "PM2.5 (ug m-3)")
    fig.text(0.01, 0.0, coastlines.ATTRIBUTION, fontsize=6)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    buffer.seek(0)
    return buffer
