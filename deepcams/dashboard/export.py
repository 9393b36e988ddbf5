"""Exports: a result as NetCDF (the CLI's output format), the maps of the current view as PNG, and the
maps over the run's hours as an animated GIF."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from PIL import Image

from deepcams.dashboard import coastlines
from deepcams.io import to_netcdf


def netcdf_bytes(ds: xr.Dataset) -> io.BytesIO:
    """The Dataset written by `deepcams.to_netcdf` (compressed CF NetCDF4), as bytes for a download."""
    with tempfile.TemporaryDirectory() as folder:
        path = to_netcdf(ds, Path(folder) / "result.nc")
        return io.BytesIO(path.read_bytes())


@dataclass(frozen=True)
class MapFrame:
    """One map at one hour: its title, axes and values; `difference` maps (method - truth) diverge."""

    title: str
    lon: np.ndarray
    lat: np.ndarray
    values: np.ndarray
    difference: bool = False


@dataclass(frozen=True)
class Snapshot:
    """The maps as the page shows them at one moment (`MapGrid.snapshot`), enough to draw them again."""

    title: str
    frames: tuple[MapFrame, ...]
    clim: tuple[float, float]  # the sources' shared colour range (ug m-3)
    log: bool
    cmap: str
    diff_limit: float  # difference maps span -diff_limit .. diff_limit
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def gif_bytes(snapshots: list[Snapshot], seconds_per_frame: float = 0.5, dpi: int = 60) -> io.BytesIO:
    """The maps of each snapshot (one per hour) as the frames of a looping GIF."""
    frames = [Image.open(png_bytes(shot, dpi=dpi)).convert("RGB") for shot in snapshots]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=int(seconds_per_frame * 1000),
        loop=0,
    )
    buffer.seek(0)
    return buffer


def png_bytes(snapshot: Snapshot, dpi: int = 100) -> io.BytesIO:
    """The maps drawn like the dashboard: shared colour scale, coastlines, the view."""
    count = len(snapshot.frames)
    cols = min(count, 3)
    rows = int(np.ceil(count / cols))
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows + 0.4), layout="constrained")
    fig.suptitle(snapshot.title)
    coast = coastlines.lines("coastline", "50m", *snapshot.x_range)
    borders = coastlines.lines("borders", "50m", *snapshot.x_range)
    for k, frame in enumerate(snapshot.frames):
        ax = fig.add_subplot(rows, cols, k + 1)
        if frame.difference:
            norm, colours, line = Normalize(-snapshot.diff_limit, snapshot.diff_limit), "RdBu_r", "black"
        else:
            norm = LogNorm(*snapshot.clim) if snapshot.log else Normalize(*snapshot.clim)
            colours, line = snapshot.cmap, "white"
        mesh = ax.pcolormesh(
            frame.lon,
            frame.lat,
            np.ma.masked_invalid(frame.values),
            norm=norm,
            cmap=colours,
            shading="nearest",
        )
        ax.plot(coast[:, 0], coast[:, 1], color=line, linewidth=0.6)
        ax.plot(borders[:, 0], borders[:, 1], color=line, linewidth=0.3, alpha=0.7)
        ax.set_xlim(*snapshot.x_range)
        ax.set_ylim(*snapshot.y_range)
        ax.set_aspect("equal")
        ax.set_title(frame.title, fontsize=10)
        label = "difference (ug m-3)" if frame.difference else "PM2.5 (ug m-3)"
        fig.colorbar(mesh, ax=ax, shrink=0.8, label=label)
    fig.text(0.01, 0.0, coastlines.ATTRIBUTION, fontsize=6)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    buffer.seek(0)
    return buffer
