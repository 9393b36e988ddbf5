"""Server-side speed of the dashboard: a region-day run, and pan/zoom re-rendering of full-resolution global maps.

    python benchmarks/bench_dashboard.py [--methods bicubic-linear,deepcams] [--region Europe]
        [--dataset demo-simulation] [--projection "Robinson (global)"] [--pages 8] [--profile-player]
        [--served-runs "Europe,East Asia"] [--page-build]

1. Run: `Comparison.compute` + `outcome` (downscale each method, cut input and truth, score) for one day
   of the dataset (the demo world in simulation mode by default) in a preset region, from a cold cache, as
   the app's worker thread does it, then `publish` to a `MapGrid` on a page (its maps rebuilt).
2. Pan/zoom: a global 0.25 deg run (721 x 1440 per map) shown by `MapGrid` and rendered to a Bokeh document
   as the server does for a page; then zoom/pan events on the maps' RangeXY streams, timing the server's
   re-rasterization and plot update per event (the work behind one pan/zoom gesture in the browser).
3. Pages at once (`--pages 8`, needs Debian's chromium and Playwright): `panel serve app` with that many
   browser pages each running a region-day downscale at once (the server runs two at a time, the others
   wait in line): time until all complete, how soon a new page is usable and a tap on an idle page (its
   opening run done) answered meanwhile, and the server's memory before, at its peak and after the pages
   close (a load test: not in the test suite).
4. Preview: a region change before any run, its input and truth maps written into the figures on the
   page, and (for comparison) with new figures each time.
5. Hour change: the run's `Dashboard` (maps, series, ensemble card) rendered to a Bokeh document, then
   each hour of the day selected in turn, as the hour player does: the server's time per hour.
6. `--profile-player` (Chromium and Playwright): a page of the served app runs the same region day, then
   plays its hours for 4 s under Chrome's sampling CPU profiler (Playwright's CDP session): hours shown,
   and the functions where the browser spent its time.
7. `--served-runs Europe,East Asia` (Chromium and Playwright): click to maps as a user sees it, a served
   page running a demo day in each region in turn.
8. `--page-build`: a new session's page build on the server, idle, while two run threads compute and
   while two run processes do (whether the runs' threads starve the event loop of the GIL).
The browser-side figures (first map after the page opens, runs seen in the page) come from
tests/test_app_browser.py, which writes tests/artifacts/browser-timings.json.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import holoviews as hv
import pandas as pd
import panel as pn
from bokeh.document import Document

import deepcams
from deepcams.dashboard import Comparison, Dashboard, MapGrid
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.projections import PLATE_CARREE
from deepcams.dashboard.runs import RunQueue


def timed(fn, *args):
    began = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - began


def one_day(comparison: Comparison, dataset: str, region: str) -> Comparison:
    """The comparison's request set to the first day of `dataset` (all of it if shorter) in `region`."""
    comparison.dataset = dataset  # first: a new dataset moves the region to the dataset's own opening region
    comparison.region = region
    starts = list(comparison.param.start.objects)
    day = [t for t in comparison.param.end.objects if t == starts[0] + pd.Timedelta(hours=24)]
    comparison.param.update(start=starts[0], end=day[0] if day else list(comparison.param.end.objects)[-1])
    return comparison


def run_region_day(methods: list[str], region: str, dataset: str) -> None:
    """One click-to-maps on the server: compute, scores, then the maps of a `MapGrid` already on a page
    (its rebuild for the new fields), each timed; the run spans a day where the dataset has one."""
    comparison = one_day(Comparison(cache=ResultCache(), methods=methods), dataset, region)
    maps = MapGrid(comparison=comparison)
    pn.Row(maps).get_root()
    request = comparison.current_request()
    results, compute_s = timed(comparison.compute, request)
    outcome, outcome_s = timed(comparison.outcome, request, results)
    _, maps_s = timed(comparison.publish, request, results, *outcome)
    shape = next(iter(results.values()))["pm25"].shape
    print(
        f"region run, {dataset} {region} {shape[0]} h x {shape[1]} x {shape[2]}, methods {', '.join(methods)}:"
    )
    print(
        f"  downscale {compute_s:.2f} s + truth and scores {outcome_s:.2f} s + maps {maps_s:.2f} s "
        f"= {compute_s + outcome_s + maps_s:.2f} s (the browser's drawing not included)"
    )
    # in the served page the region's preview has cut the input and truth before Run: the scoring alone
    rescored = sorted(timed(comparison.outcome, request, results)[1] for _ in range(5))
    print(
        f"  truth and scores again (input and truth already cut, as after a preview): {rescored[2]:.3f} s (median of 5)"
    )
    # the next run as a user makes it: another region (its preview goes into this run's figures), then Run
    other = "East Asia" if region != "East Asia" else "Europe"
    one_day(comparison, dataset, other)
    next_request = comparison.current_request()
    next_results = comparison.compute(next_request)
    next_outcome = comparison.outcome(next_request, next_results)
    _, refill_s = timed(comparison.publish, next_request, next_results, *next_outcome)
    print(f"  the next run's maps ({other}), into the figures of the last: {refill_s:.2f} s")
    # the same maps while the server's two run workers compute other runs (as under several pages' load)
    stop = threading.Event()
    cams = comparison.catalog[request.dataset].cams

    def other_runs() -> None:
        while not stop.is_set():
            deepcams.downscale(cams, "deepcams", bbox=request.bbox, start=request.start, end=request.end)

    workers = RunQueue(workers=2)  # the server's: its threads at a lower CPU priority
    busy = [workers.submit(other_runs) for _ in range(2)]
    time.sleep(3)
    built, refilled = [], []
    for _ in range(3):
        refilled.append(timed(comparison.publish, request, results, *outcome)[1])
        refilled.append(timed(comparison.publish, next_request, next_results, *next_outcome)[1])
        comparison.param.update(fields={})
        built.append(timed(comparison.publish, request, results, *outcome)[1])
    stop.set()
    for future in busy:
        future.result()
    print(f"  maps while two runs compute, new figures: {', '.join(f'{s:.2f}' for s in built)} s")
    print(f"  maps while two runs compute, into the figures: {', '.join(f'{s:.2f}' for s in refilled)} s")


def hour_change(methods: list[str], region: str, dataset: str) -> None:
    """The server's work for one step of the hour player on a page showing a region-day run."""
    comparison = one_day(Comparison(cache=ResultCache(), methods=methods), dataset, region)
    dashboard = Dashboard(comparison=comparison)
    comparison.run()
    pn.panel(dashboard).get_root(Document())
    hours = len(comparison.hours)
    spent = [timed(lambda k=k: dashboard.selection.param.update(hour=k))[1] for k in range(1, hours)]
    print(
        f"hour change on the page ({hours} hours, {len(methods)} methods): median "
        f"{statistics.median(spent) * 1000:.0f} ms, max {max(spent) * 1000:.0f} ms"
    )


def downscale_loop(dataset: str, region: str, stop: threading.Event | None = None) -> None:
    """DeepCAMS region days and their scores, over and over until `stop` is set (a run worker's load)."""
    comparison = one_day(Comparison(cache=ResultCache(), methods=["deepcams"]), dataset, region)
    request = comparison.current_request()
    cams = comparison.catalog[request.dataset].cams
    while stop is None or not stop.is_set():
        out = deepcams.downscale(cams, "deepcams", bbox=request.bbox, start=request.start, end=request.end)
        deepcams.compare({"deepcams": out}, comparison.truth_field(request).to_dataset())


def page_build_under_runs(region: str, dataset: str, repeats: int = 3) -> None:
    """A new session's page build (`Dashboard` -> `server_doc`) on an idle server, while two run threads
    (the server's `RunQueue`) compute deepcams region days, and while two processes at nice 10 do: whether
    the runs' threads starve the event loop of the GIL."""

    def build() -> float:
        began = time.perf_counter()
        comparison = one_day(
            Comparison(cache=ResultCache(), methods=["bicubic-linear", "deepcams"]), dataset, region
        )
        pn.panel(Dashboard(comparison=comparison)).server_doc(Document())
        return time.perf_counter() - began

    def series(label: str) -> None:
        print(f"  {label}: {', '.join(f'{build():.2f}' for _ in range(repeats))} s")

    print(f"a new page's build ({dataset}, {region}):")
    series("idle")
    stop = threading.Event()
    workers = RunQueue(workers=2)
    busy = [workers.submit(partial(downscale_loop, dataset, region, stop)) for _ in range(2)]
    time.sleep(3)
    series("two run threads computing")
    stop.set()
    for future in busy:
        future.result()
    here = str(Path(__file__).parent)
    code = f"import sys; sys.path.insert(0, {here!r}); from bench_dashboard import downscale_loop; downscale_loop({dataset!r}, {region!r})"
    loops = [subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", code]) for _ in range(2)]
    try:
        time.sleep(15)  # their imports and first runs
        series("two processes at nice 10 computing")
    finally:
        for process in loops:
            process.kill()


def preview_changes(dataset: str) -> None:
    """The server's work for a region change before any run (the preview's input and truth maps), six
    regions in turn: into the figures on the page, and with new figures each time for comparison."""
    regions = ["East Asia", "North America", "Europe", "South America", "Africa", "East Asia"]
    for refilled in (True, False):
        comparison = Comparison(
            cache=ResultCache(), dataset=dataset, region="Europe", methods=["bicubic-linear"]
        )
        maps = MapGrid(comparison=comparison)
        pn.Row(maps).get_root(Document())
        if not refilled:
            maps._refill = lambda *args: False  # as before maps went into the figures on the page
        spent = [timed(comparison.param.update, {"region": r})[1] for r in regions]
        print(
            f"region change's preview, {'into the figures on the page' if refilled else 'new figures'}: "
            f"{min(spent):.2f}-{max(spent):.2f} s ({len(regions)} regions)"
        )


def pan_zoom(repeats: int, projection: str = PLATE_CARREE) -> None:
    comparison = Comparison(cache=ResultCache(), region="Global", methods=["bicubic-linear"])
    comparison.end = comparison.start  # one hour is enough to render; each map is 721 x 1440 at 0.25 deg
    comparison.run()
    maps = MapGrid(comparison=comparison, differences=False, projection=projection)
    _, render_s = timed(lambda: pn.Row(maps).get_root())
    streams = [s for image in maps.images for s in image.streams if isinstance(s, hv.streams.RangeXY)]
    print(
        f"global maps in {projection} ({len(comparison.fields)} maps, fine ones 721 x 1440): "
        f"first render {render_s:.2f} s"
    )
    views = [((-180, 180), (-90, 90)), ((-20, 60), (20, 70)), ((0, 40), (30, 55)), ((-10, 70), (10, 60))]
    if not streams:  # a reprojected field is a fixed raster: the browser pans and zooms it alone
        print("  pan/zoom: no server work (the reprojected raster is fixed, the browser redraws it)")
        return
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


def rss_mib(pid: int) -> float:
    """Resident memory of the server and its worker processes (`--num-procs` forks them)."""
    import psutil  # a dependency of distributed

    server = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [server, *server.children(recursive=True)]) / 1024**2


def cpu_seconds(processes) -> float:
    """User + system CPU time of `processes` so far (those that have exited count 0)."""
    import psutil

    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def browser_processes():
    """This benchmark's Chromium processes (the browser and its renderers, children of this process)."""
    import psutil

    return [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name()]


def wait_until_browser_idle(timeout: float = 300.0, idle_share: float = 0.05) -> float:
    """Seconds until the browser's processes use under `idle_share` of a core over a second: its pages
    have drawn what they were sent (on this machine they share the server's cores)."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        before = cpu_seconds(browser_processes())
        time.sleep(1.0)
        if cpu_seconds(browser_processes()) - before < idle_share:
            break
    return time.perf_counter() - began


def wait_for(page, condition, timeout: float) -> float:
    began = time.perf_counter()
    while not condition():
        if time.perf_counter() - began > timeout:
            raise TimeoutError(f"no answer in {timeout:.0f} s")
        page.wait_for_timeout(50)
    return time.perf_counter() - began


def text(page, css: str) -> str:
    return " ".join(page.locator(css).all_inner_texts())


def ran(status: str) -> bool:
    """A run's status line once its table and maps are up."""
    return status.startswith("Ran ")


@contextlib.contextmanager
def served_app(num_procs: int = 1):
    """`panel serve app` on a free port (forked into `num_procs` processes), its URL while the block runs,
    and the server process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    panel = Path(sys.executable).with_name("panel")
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        [
            str(panel),
            "serve",
            "app",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
            "--num-procs",
            str(num_procs),
        ],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "BOKEH_RESOURCES": "server"},
    )
    try:
        deadline = time.monotonic() + 120
        while True:  # until the server listens
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("panel serve did not start") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/app", server
    finally:
        server.terminate()
        server.wait(timeout=30)


def launch(playwright):
    return playwright.chromium.launch(
        executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
    )


def demo_page(browser, url: str, width: int, height: int):
    """A served page, its opening run done, switched to the demo world in simulation mode."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, timeout=600_000)
    wait_for(page, lambda: ran(text(page, ".status-line p")), 600)
    page.locator(".w-dataset select").select_option(
        label="Demo world, simulation (synthetic input = coarsened synthetic truth)"
    )
    wait_for(page, lambda: "2024-03-01" in text(page, ".availability p"), 120)
    return page


def run_in_region(page, region: str, server_pid: int | None = None) -> dict[str, float]:
    """Choose `region`, let its preview settle and the browser idle, click Run: seconds until the status
    line says the maps are shown (`maps_s`); with the server's pid, the CPU seconds the server and the
    browser spent meanwhile."""
    import psutil

    page.locator(".w-region select").select_option(region)
    page.wait_for_timeout(3000)  # the preview of the new region
    wait_until_browser_idle()
    server = [psutil.Process(server_pid)] if server_pid else []
    before = text(page, ".status-line p")
    cpu = cpu_seconds(server), cpu_seconds(browser_processes())
    began = time.perf_counter()
    page.locator(".run button").click(timeout=600_000)
    status = lambda: text(page, ".status-line p")  # noqa: E731
    wait_for(page, lambda: status() not in (before, "") and ran(status()), 600)
    return {
        "maps_s": time.perf_counter() - began,
        "server_cpu_s": cpu_seconds(server) - cpu[0],
        "browser_cpu_s": cpu_seconds(browser_processes()) - cpu[1],
    }


def profile_player(region: str) -> None:
    """The browser's CPU while the hour player plays a demo region day (the page's default methods)."""
    from playwright.sync_api import sync_playwright

    with served_app() as (url, _), sync_playwright() as p:
        browser = launch(p)
        page = demo_page(browser, url, 1600, 1300)
        run_in_region(page, region)
        page.wait_for_timeout(3000)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})
        cdp.send("Profiler.start")
        labels = set()
        page.locator(".hour-player button").nth(5).click()  # play
        began = time.perf_counter()
        while time.perf_counter() - began < 4.0:
            labels.add(text(page, ".hour-label p"))
            page.wait_for_timeout(40)
        page.locator(".hour-player button").nth(4).click()  # pause
        profile = cdp.send("Profiler.stop")["profile"]
        browser.close()
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    samples = collections.Counter(nodes[i]["functionName"] or "(anonymous)" for i in profile["samples"])
    total = sum(samples.values())
    print(
        f"hour player, demo {region}: {len(labels) - 1} new hours shown in 4 s; the browser's CPU by function:"
    )
    for name, count in samples.most_common(12):
        print(f"  {100 * count / total:5.1f} %  {name}")


def served_runs(regions: list[str]) -> None:
    """Click to maps in the browser: a served page (its default methods, deepcams and bicubic-linear) runs
    a demo (simulation) day in each region in turn; the time from the Run click until the page's status
    line says its maps are shown; the CPU the server and the browser (on the same cores here) spent
    meanwhile; the server's own account of its part (its status line)."""
    from playwright.sync_api import sync_playwright

    with served_app() as (url, server), sync_playwright() as p:
        browser = launch(p)
        page = demo_page(browser, url, 1280, 800)
        print("click to maps in the browser (served page, demo simulation day, deepcams + bicubic-linear):")
        for region in regions:
            run = run_in_region(page, region, server.pid)
            print(
                f"  {region}: maps {run['maps_s']:.2f} s; CPU server "
                f"{run['server_cpu_s']:.1f} s, browser {run['browser_cpu_s']:.1f} s "
                f"({text(page, '.status-line p')})"
            )
        browser.close()


def pages_at_once(count: int, num_procs: int = 1) -> None:
    import psutil
    from playwright.sync_api import sync_playwright

    with served_app(num_procs) as (url, server):
        regions = ["East Asia", "Europe", "Pacific (across 180)", "North America", "Africa", "South America"]
        methods = [
            "nearest-nearest",
            "bicubic-pchip",
            "conservative-linear",
            "bilinear-linear",
            "bicubic-cubic",
        ]
        with sync_playwright() as p:
            browser = launch(p)

            def usable_page():
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                began = time.perf_counter()
                page.goto(url, timeout=600_000)
                # usable: its controls answer (its opening run may still wait in line, the page says so)
                page.locator(".run button").wait_for(state="visible", timeout=600_000)
                return page, time.perf_counter() - began

            # a page whose opening run is done, left idle: its tap is timed under the load (a page that is
            # itself running replaces its maps when the run ends, and a tap on the old ones is lost)
            idle, _ = usable_page()
            wait_for(idle, lambda: ran(text(idle, ".status-line p")), 600)
            pages = []
            for k in range(count):
                page, _ = usable_page()
                wait_for(page, lambda page=page: ran(text(page, ".status-line p")), 600)
                page.locator(".w-dataset select").select_option(
                    label="Demo world, with CAMS-like errors (synthetic)"
                )
                page.locator(".w-region select").select_option(regions[k % len(regions)])
                page.get_by_text(methods[k % len(methods)], exact=True).click()
                pages.append(page)
            # the pages' dataset switches and previews cost the browser (on the server's own 2 cores here)
            # seconds of CPU each: the clock starts once it has drawn them, so that what is timed is the runs'
            # load and not the set-up's backlog
            settle_s = wait_until_browser_idle()
            start_mib = rss_mib(server.pid)
            began = time.perf_counter()
            server_cpu, browser_cpu = (
                cpu_seconds([psutil.Process(server.pid)]),
                cpu_seconds(browser_processes()),
            )
            for page in pages:  # a busy server may keep a page's Run disabled for a while (its preview)
                page.locator(".run button").click(timeout=600_000)
            fresh, new_page_s = usable_page()
            before = text(idle, ".series-title h3")
            tapped = idle.locator(".maps canvas").first
            tapped.scroll_into_view_if_needed()  # a map below the fold takes no click
            box = tapped.bounding_box()
            idle.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
            tap_s = wait_for(idle, lambda: text(idle, ".series-title h3") != before, 600)
            peak = start_mib
            for page in pages:
                wait_for(page, lambda page=page: ran(text(page, ".status-line p")), 1200)
                peak = max(peak, rss_mib(server.pid))
            runs_s = time.perf_counter() - began
            server_cpu = cpu_seconds([psutil.Process(server.pid)]) - server_cpu
            browser_cpu = cpu_seconds(browser_processes()) - browser_cpu
            for page in [idle, fresh, *pages]:
                page.close()
            time.sleep(45)  # sessions end once their pages have gone ~15-30 s (bokeh's unused-session check)
            browser.close()
        print(
            f"{count} pages, each a region-day run at once (two run at a time per server process, "
            f"{num_procs} process(es); the others wait in line):"
        )
        print(
            f"  all complete in {runs_s:.1f} s; meanwhile a new page usable in {new_page_s:.1f} s, a tap on an idle page answered in {tap_s:.2f} s"
        )
        print(
            f"  CPU while they ran: the server {server_cpu:.1f} s, the browser's {count + 2} pages {browser_cpu:.1f} s "
            f"(the set-up's drawing waited for first: {settle_s:.0f} s)"
        )
        print(
            f"  server memory {start_mib:.0f} MiB before, {peak:.0f} MiB at most, {rss_mib(server.pid):.0f} MiB after closing"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="bicubic-linear", help="comma-separated methods for the run")
    parser.add_argument("--region", default="Europe")
    parser.add_argument("--dataset", default="demo-simulation", help="the run's dataset key")
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--projection", action="append", help=f"map projection(s) (default {PLATE_CARREE!r})")
    parser.add_argument("--pages", type=int, default=0, help="browser pages running at once (0: skip)")
    parser.add_argument("--num-procs", type=int, default=1, help="server processes for --pages (panel serve)")
    parser.add_argument(
        "--profile-player", action="store_true", help="the browser's CPU while the hours play"
    )
    parser.add_argument(
        "--page-build", action="store_true", help="a new page's build, idle and while runs compute"
    )
    parser.add_argument(
        "--served-runs",
        help="comma-separated regions: click to maps in a served page (Chromium and Playwright)",
    )
    args = parser.parse_args()
    run_region_day(args.methods.split(","), args.region, args.dataset)
    hour_change(args.methods.split(","), args.region, args.dataset)
    preview_changes(args.dataset)
    for projection in args.projection or [PLATE_CARREE]:
        pan_zoom(args.repeats, projection)
    if args.pages:
        pages_at_once(args.pages, args.num_procs)
    if args.profile_player:
        profile_player(args.region)
    if args.page_build:
        page_build_under_runs(args.region, args.dataset)
    if args.served_runs:
        served_runs(args.served_runs.split(","))


if __name__ == "__main__":
    main()
