"""Write the example notebooks (notebooks/*.ipynb) from the cells below; outputs are left empty.

Run `.venv/bin/python scripts/make_notebooks.py && .venv/bin/ruff format notebooks` after editing a cell.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str):
    return new_code_cell(text.strip())


QUICKSTART = [
    md("""
# deepcams quickstart

Load CAMS-like PM2.5 (0.75 deg, 3-hourly), downscale it to the GEOS-CF 0.25 deg hourly grid, and compare
methods against the truth. Everything here is a plain library call; the dashboard composes the same calls.
"""),
    code("""
import deepcams
from deepcams.synthetic import open_demo

deepcams.available_methods()
"""),
    md("""
## The demo world

`open_demo()` gives a synthetic PM2.5 world in the providers' conventions: a CAMS-like input (3-hourly,
0.75 deg) and its GEOS-CF-like truth (hourly, 0.25 deg), three days from 2024-03-01. It is generated once
and cached.
"""),
    code("""
cams, truth = open_demo()
cams
"""),
    md("""
## Downscale a region and a day

`downscale` takes a region (`W,S,E,N`; W > E crosses the antimeridian) and a time range and returns hourly
fields on the 0.25 deg grid as a CF-compliant xarray Dataset.
"""),
    code("""
box = "-12,35,40,70"  # Europe
fine = deepcams.downscale(cams, "bicubic-linear", bbox=box, start="2024-03-01", end="2024-03-02")
print(f"output {fine.sizes['time']} hours of {fine.sizes['lat']} x {fine.sizes['lon']}")
fine
"""),
    code("""
fine.pm25.isel(time=[0, 1, 2]).plot(col="time", robust=True, cmap="inferno");
"""),
    md("""
## Compare methods against the truth (RMSE, MAE, bias, R, SSIM over the region and day)

`"deepcams"` is the learned model (the weights shipped in the package). This demo's input is a second
synthetic model with displaced and biased sources, as CAMS is against GEOS-CF: no downscaler can remove
those errors, so these scores mostly measure the input. Every method is scored on the same pixels.
"""),
    code("""
methods = ["deepcams", "bicubic-linear", "bilinear-linear", "nearest-nearest"]
results = {
    name: deepcams.downscale(cams, name, bbox=box, start="2024-03-01", end="2024-03-02") for name in methods
}
deepcams.compare(results, deepcams.select_region(truth, box))
"""),
    md("""
## What measures downscaling: input = coarsened truth

`open_demo(exact=True)` is the same world with the input made by coarsening the truth (the paper's
simulation protocol). Here the only thing a method can get wrong is the downscaling itself.
"""),
    code("""
cams_exact, truth_exact = open_demo(exact=True)
exact = {
    name: deepcams.downscale(cams_exact, name, bbox=box, start="2024-03-01", end="2024-03-02")
    for name in ["deepcams", "bicubic-linear"]
}
deepcams.compare(exact, deepcams.select_region(truth_exact, box))
"""),
    code("""
import tempfile
from pathlib import Path

path = deepcams.to_netcdf(results["bicubic-linear"], Path(tempfile.mkdtemp()) / "europe.nc")
deepcams.open_dataset(path)
"""),
]

DASHBOARD = [
    md("""
# The dashboard's components in Jupyter

The served app (`panel serve app`) is built from these classes; they work inline here. `Comparison` holds
the request (dataset, region, times, methods) as params, and the results; the views follow it and one
shared `Selection` (hour, tapped point, view). Like the page, it opens on deepcams against bicubic-linear
on the real sample in simulation mode, in the band the shipped weights were validated on (never trained).
"""),
    code("""
import panel as pn

from deepcams.dashboard import Comparison, Dashboard, MapGrid, MetricsTable, SeriesChart

pn.extension()
"""),
    code("""
comparison = Comparison()  # real sample, simulation; held-out band; deepcams and bicubic-linear
comparison.run()
print(comparison.caption())
comparison.metrics  # the in-sample column: share of scored pixels the weights trained on (0: held out)
"""),
    md("Linked maps (pan one, all follow), with the hour player; tap a map to move the time series point."),
    code("""
maps = MapGrid(comparison=comparison)
maps
"""),
    code("""
series = SeriesChart(comparison=comparison, selection=maps.selection)
maps.selection.point = (-30.0, 10.0)  # what a tap on any map does
series
"""),
    md("""
## Exploring with `pn.bind` and param

Any function of params becomes a live view: `pn.bind` re-runs it when a widget or a param changes. Here
the tapped point (a param of the shared `Selection`, set by a tap on the maps above) drives a small
table of every source's values there, and a region widget re-runs the comparison.
"""),
    code("""
import pandas as pd


def values_at(point):
    series = SeriesChart(comparison=comparison, selection=maps.selection).series()
    return pn.pane.DataFrame(pd.DataFrame(series).describe().round(2), width=500)


pn.Column("Tap a map above: the summary follows", pn.bind(values_at, maps.selection.param.point))
"""),
    code("""
from deepcams.dashboard import PRESETS

region = pn.widgets.Select(name="Region", options=list(PRESETS), value=comparison.region)


def scores(region):
    comparison.region = region
    comparison.run()
    return comparison.metrics[["rmse", "mae", "in-sample"]]


pn.Column(region, pn.bind(scores, region))
"""),
    code("""
MetricsTable(comparison=comparison)
"""),
    md("Changing a param changes the request; cached results come back at once."),
    code("""
comparison.methods = ["bicubic-linear", "nearest-nearest"]
comparison.dataset = "sample-real"  # the Black Summer fires, with OpenAQ stations
comparison.run()
print(list(comparison.fields), comparison.cache.hits, comparison.cache.misses)
"""),
    md("The whole dashboard, inline:"),
    code("""
Dashboard(comparison=comparison)
"""),
]

REAL_SAMPLE = [
    md("""
# The paper's simulation protocol on the real GEOS-CF frames

Four consecutive real GEOS-CF hours (NASA GMAO; nominal date): hours 00 and 03 are coarsened to the CAMS
0.75 deg grid (the centred 3 x 3 block mean) and play the CAMS input; every method then rebuilds all four
hours at 0.25 deg and is scored against the real frames. The longitude bands [-120,-60), [0,60) and
[120,180) are held back upstream (NaN) and take no part in any score.
"""),
    code("""
import deepcams

truth = deepcams.open_sample_geoscf()
simulated = deepcams.simulate(truth)
simulated
"""),
    code("""
methods = [
    "deepcams",
    "bicubic-linear",
    "bilinear-linear",
    "conservative-linear",
    "bicubic-pchip",
    "nearest-nearest",
]
results = {name: deepcams.downscale(simulated, name, allow_nan=True) for name in methods}
table = deepcams.compare(results, truth)
table.sort_values("mae")
"""),
    md("""
**Why bicubic-pchip equals bicubic-linear here.** The simulated input has two frames (00 and 03 UTC).
Through two points per pixel, the monotone cubic (PCHIP) has nothing to bend towards: its slopes at both
ends are the secant's, so it *is* the straight line, and the two methods give the same hours. They differ
from three input frames on.

**Where deepcams was trained.** The shipped weights trained on this very sample's bands [-180,-120) and
[60,120) and were validated on [-60,0) (see their metadata, `deepcams/data/weights/ssr.json`), so the
whole-globe table mixes in-sample and held-out pixels. The held-out band alone is the honest score:
"""),
    code("""
from deepcams.models.checkpoint import read_metadata
from deepcams.models.inference import default_weights

west, east = read_metadata(default_weights("ssr"))["training"]["val_band"]
held_out = f"{west + 11},-60,{east - 11},60"  # 11 deg inside: beyond both stages' reach from the gaps
deepcams.compare(
    {name: deepcams.select_region(results[name], held_out) for name in ["deepcams", "bicubic-linear"]},
    deepcams.select_region(truth, held_out),
)
"""),
    md("""
Per hour: hours 00 and 03 test the spatial stage alone; 01 and 02 also test the temporal stage.
The DeepCAMS paper's reference for the spatial stage on frame 00 is MAE 0.50 (bicubic) against 0.34
(DeepCAMS), on its own test set; this package's numbers on this sample:
"""),
    code("""
for name in ["bicubic-linear", "deepcams"]:
    per_hour = deepcams.evaluate(results[name], truth)
    print(f"{name} MAE on frame 00: {per_hour['mae'].iloc[0]:.3f} ug m-3")
per_hour
"""),
    code("""
error = results["bicubic-linear"].pm25 - truth.pm25
error.isel(time=1).sel(lon=slice(60, 120), lat=slice(-10, 50)).plot(cmap="RdBu_r", robust=True);
"""),
]


def main() -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, cells in {
        "01-quickstart.ipynb": QUICKSTART,
        "02-dashboard-in-jupyter.ipynb": DASHBOARD,
        "03-real-sample.ipynb": REAL_SAMPLE,
    }.items():
        notebook = new_notebook(cells=cells)
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(notebook, NOTEBOOKS / name)
        print(NOTEBOOKS / name)


if __name__ == "__main__":
    main()
