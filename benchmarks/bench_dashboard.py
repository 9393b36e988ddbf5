"""Server-side speed of the dashboard: a region-day run, and pan/zoom re-rendering of full-resolution global maps.

    python benchmarks/bench_dashboard.py [--methods bicubic-linear,deepcams] [--region Europe]

1. Run: `Comparison.compute` + `outcome` (downscale each method, cut input and truth, score) for one day
   of the demo world in a preset region, from a cold cache, as the app's worker thread does it.
2. Pan/zoom: a global 0.25 deg run (721 x 1440 per map) shown by `MapGrid` and rendered to a Bokeh document
   as the server does for a page; then zoom/pan events on the maps' RangeXY streams, timing the server's
   re-rasterization and plot update per event (the work behind one pan/zoom gesture in the browser).
The browser-side figures (first map after the page opens, runs seen in the page) come from
tests/test_app_browser.py, which writes tests/artifacts/browser-timings.json.
"""

from __future__ import annotations

import argparse
import statistics
import time

import holoviews as hv
import panel as pn

from deepcams.dashboard import Comparison, MapGrid
from deepcams.dashboard.cache import ResultCache


def timed(fn, *args):
    began = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - began


def run_region_day(methods: list[str], region: str) -> None:
    comparison = Comparison(cache=ResultCache(), region=region, methods=methods)
    request = comparison.current_request()
    results, compute_s = timed(comparison.compute, request)
    _, outcome_s = timed(comparison.outcome, request, results)
    shape = next(iter(results.values()))["pm25"].shape
    print(f"region-day run, {region} {shape[0]} h x {shape[1]} x {shape[2]}, methods {', '.join(methods)}:")
    print(
        f"  downscale {compute_s:.2f} s + maps and metrics {outcome_s:.2f} s = {compute_s + outcome_s:.2f} s"
    )


def pan_zoom(repeats: int) -> None:
    comparison = Comparison(cache=ResultCache(), region="Global", methods=["bicubic-linear"])
    comparison.end = comparison.start  # one hour is enough to render; each map is 721 x 1440 at 0.25 deg
    comparison.run()
    maps = MapGrid(comparison=comparison, differences=False)
    _, render_s = timed(lambda: pn.Row(maps).get_root())
    streams = [s for image in maps.images for s in image.streams if isinstance(s, hv.streams.RangeXY)]
    print(f"global maps ({len(comparison.fields)} maps, fine ones 721 x 1440): first render {render_s:.2f} s")
    views = [((-180, 180), (-90, 90)), ((-20, 60), (20, 70)), ((0, 40), (30, 55)), ((-10, 70), (10, 60))]
    per_event = []
    for k in range(repeats):
        x_range, y_range = views[k % len(views)]
        began = time.perf_counter()
        for stream in streams:  # shared axes: one gesture updates every map's range
            stream.event(x_range=x_range, y_range=y_range)
        per_event.append(time.perf_counter() - began)
    print(
        f"  pan/zoom re-render of all {len(streams)} maps: median {statistics.median(per_event) * 1000:.0f} ms, "
        f"max {max(per_event) * 1000:.0f} ms over {repeats} events "
        f"({statistics.median(per_event) / len(streams) * 1000:.0f} ms per map)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="bicubic-linear", help="comma-separated methods for the run")
    parser.add_argument("--region", default="Europe")
    parser.add_argument("--repeats", type=int, default=12)
    args = parser.parse_args()
    run_region_day(args.methods.split(","), args.region)
    pan_zoom(args.repeats)


if __name__ == "__main__":
    main()
