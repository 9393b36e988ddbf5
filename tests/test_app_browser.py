"""End-to-end: `panel serve app` driven by Playwright in Debian's Chromium (no browser download, no internet).

One server for the module. The main test walks a user's path (region, methods, Run, maps, tap, NetCDF,
an error) counting external requests and page errors. Four pages running at once are checked here to
complete and give their memory back; how fast pages and taps answer under load is measured by
`benchmarks/bench_dashboard.py --pages N` (a load test, kept out of the suite's time budget). Screenshots go
to tests/artifacts/ (docs/img/ with `make docs-images`), timings to tests/artifacts/browser-timings.json
(docs/benchmarks.md quotes them).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

import deepcams
from deepcams.io.providers import to_cams_netcdf
from deepcams.models import default_weights
from deepcams.synthetic import open_demo

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
# screenshots stay in the git-ignored artifacts; `make docs-images` points this at docs/img to refresh the README's
IMAGES = ROOT / os.environ.get("DEEPCAMS_SCREENSHOTS", ARTIFACTS)
TIMINGS: dict[str, float] = {}
# a data root's hostile folder and file: their names and the file's units must show as text, run nothing
HOSTILE_FOLDER = "<img src=x onerror=alert(1)>"
HOSTILE_FILE = "<b>x<i>.nc"
HOSTILE_UNITS = '<img src=x onerror="window.__xss=2">'

pytestmark = [
    pytest.mark.browser,
    # locally a missing browser skips; in CI (.ci/run installs it) it is a failure, never a silent skip
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="needs Debian's chromium (apt-get install chromium)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Two user data roots: one given by --args --data, one by DEEPCAMS_DATA (with an unreadable file)."""
    by_args = tmp_path_factory.mktemp("by-args")
    to_cams_netcdf(deepcams.open_sample_cams(), by_args / "eac4-2019-12-31.nc")
    by_env = tmp_path_factory.mktemp("by-env") / "fires"
    by_env.mkdir()
    to_cams_netcdf(deepcams.open_sample_cams(), by_env / "eac4.nc")
    (by_env / "truncated.nc").write_bytes(b"CDF\x01 cut short")
    hostile = by_env.parent / HOSTILE_FOLDER  # and a file in it whose name and units attribute hold HTML
    hostile.mkdir()
    raw = xr.open_dataset(by_env / "eac4.nc").load()
    raw["pm2p5"].attrs["units"] = HOSTILE_UNITS
    raw.to_netcdf(hostile / HOSTILE_FILE)
    return by_args, by_env


@pytest.fixture(scope="module")
def server(roots):
    port = free_port()
    panel = Path(sys.executable).with_name("panel")
    log = open(ARTIFACTS.mkdir(parents=True, exist_ok=True) or ARTIFACTS / "panel-serve.log", "w")
    proc = subprocess.Popen(
        [
            str(panel),
            "serve",
            "app",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
            "--args",
            "--data",
            str(roots[0]),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "BOKEH_RESOURCES": "server", "DEEPCAMS_DATA": str(roots[1].parent)},
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log_text = (ARTIFACTS / "panel-serve.log").read_text()
                    raise RuntimeError(f"panel serve did not start: {log_text}") from None
                time.sleep(0.3)
        yield {"url": f"http://127.0.0.1:{port}/app", "pid": proc.pid}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        ARTIFACTS.joinpath("browser-timings.json").write_text(json.dumps(TIMINGS, indent=2))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """External requests and page errors of one page (both must stay empty)."""

    def __init__(self, page, url: str):
        self.external: list[str] = []
        self.errors: list[str] = []
        origin = url.split("/app")[0]
        page.on(
            "request",
            lambda r: None if r.url.startswith((origin, "data:", "blob:")) else self.external.append(r.url),
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))


def open_page(browser, server, width=1600, height=1300, timeout: float = 60):
    """A new page, once it shows its opening comparison (the status line reports the run)."""
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    watch = Watch(page, server["url"])
    began = time.perf_counter()
    page.goto(server["url"], timeout=timeout * 1000)
    page.wait_for_selector(".maps canvas", state="attached", timeout=timeout * 1000)
    wait_until(page, lambda: status_text(page).startswith("Ran "), timeout, "the opening comparison")
    return page, watch, time.perf_counter() - began


def text_of(page, css: str) -> str:
    """Text of the elements inside a component (its content lives in bokeh's shadow DOM), "" when absent."""
    return " ".join(page.locator(css).all_inner_texts())


def status_text(page) -> str:
    return text_of(page, ".status-line p")


def wait_until(page, condition, timeout: float = 120.0, what: str = "condition") -> None:
    """Poll `condition()` (locators reach into bokeh's shadow DOM; document.querySelector does not)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        page.wait_for_timeout(100)


def run_and_wait(page, methods: list[str], timeout: float = 120.0) -> float:
    """Click Run and wait for the status line to report these methods (text read before may be stale)."""
    before = status_text(page)
    began = time.perf_counter()
    page.locator(".run button").click()

    def done() -> bool:
        text = status_text(page)
        return text.startswith("Ran ") and text != before and all(m in text for m in methods)

    wait_until(page, done, timeout, "run")
    return time.perf_counter() - began


def series_title(page) -> str:
    return text_of(page, ".series-title h3")


def test_the_page_opens_on_the_comparison(server, browser):
    """No click: the metrics table compares deepcams with bicubic-linear within 10 s on a warm server."""
    warm, _, _ = open_page(browser, server, timeout=240)  # the first session warms the server
    warm.close()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch(page, server["url"])
    began = time.perf_counter()
    page.goto(server["url"])

    def compared() -> bool:
        table = text_of(page, ".metrics-table table")
        return "deepcams" in table and "bicubic-linear" in table and "RMSE" in table

    # the target is 10 s on a warm server (tests/artifacts/browser-timings.json records the measured time,
    # 2.99 s on 2026-12-02, docs/benchmarks.md); the test checks the behaviour, the time stays a measured figure
    wait_until(page, compared, 120, "the opening metrics table")
    TIMINGS["opening_table_s"] = round(time.perf_counter() - began, 2)
    assert "held-out pixels" in text_of(page, ".metrics-table table")
    assert "measures downscaling" in text_of(page, ".caption p")
    # the sidebar is laid out again while the opening run ends (its box briefly None: 3 of 6 pages)
    boxes = []
    wait_until(page, lambda: boxes.append(page.locator(".run button").bounding_box()) or boxes[-1], 30, "Run")
    run = boxes[-1]
    assert run["y"] + run["height"] <= 800  # Run above the fold at 1280 x 800
    # the table comes first, the maps after it (their own seconds of server work)
    wait_until(page, lambda: status_text(page).startswith("Ran "), 120, "the opening maps")
    assert page.locator(".maps canvas").count() > 0
    page.set_viewport_size({"width": 1600, "height": 1400})  # the README's picture: table and maps in view
    page.wait_for_timeout(2000)  # let bokeh lay out and paint the maps
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "dashboard-comparison.png"))

    page.locator(".w-projection select").select_option("Robinson (global)")  # a projection choice
    page.wait_for_timeout(3000)
    assert page.locator(".maps canvas").count() > 0
    assert watch.external == [] and watch.errors == []
    page.close()


def test_compare_tap_download_and_error(server, browser, tmp_path):
    page, watch, first_map = open_page(
        browser, server, timeout=240
    )  # the demo is made once, in the background
    TIMINGS["first_map_s"] = round(first_map, 2)
    page.locator(".w-dataset select").select_option(label="Demo world, with CAMS-like errors (synthetic)")
    wait_until(page, lambda: "2024-03-01" in text_of(page, ".availability p"), 120, "the demo's times")

    overview_map = page.locator(".overview canvas").first
    overview_map.wait_for(state="visible", timeout=60_000)  # the new dataset's overview is redrawn
    wait_until(page, lambda: overview_map.bounding_box() is not None, 60, "the overview map's layout")
    overview = overview_map.bounding_box()
    x, y = overview["x"] + overview["width"] * 0.55, overview["y"] + overview["height"] * 0.3
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=8)
    page.mouse.up()  # a box drawn on the overview map becomes the region
    wait_until(page, lambda: page.locator(".w-region select").input_value() == "Custom", 60, "the drawn box")

    def box_inputs() -> list[float]:
        return [
            float(page.locator(f".w-{k} input").input_value()) for k in ("west", "south", "east", "north")
        ]

    # the four inputs reach the page one by one: wait until none shows Europe's edge any more
    wait_until(page, lambda: not set(box_inputs()) & {-12.0, 35.0, 40.0, 70.0}, 30, "the box's four edges")
    drawn = box_inputs()
    assert drawn[0] < drawn[2] and drawn[1] < drawn[3]

    page.locator(".w-region select").select_option("South Asia")
    # DeepCAMS beside the paper's baseline once its weights ship with the package; a second baseline before
    learned = all(default_weights(stage).is_file() for stage in ("tsr", "ssr"))
    other = "deepcams" if learned else "bilinear-linear"
    if not learned:  # deepcams and bicubic-linear are ticked when the page opens
        page.get_by_text(other, exact=True).click()
    else:
        wait_until(page, lambda: "weights" in text_of(page, ".method-info p"), 60, "the weights in use")
    TIMINGS[f"run_region_day_{other}_and_bicubic-linear_s"] = round(
        run_and_wait(page, [other, "bicubic-linear"]), 2
    )
    assert "60,5,100,35" in status_text(page) and other in status_text(page)
    table = text_of(page, ".metrics-table table")
    assert "RMSE" in table and other in table and "bicubic-linear" in table
    wait_until(page, lambda: series_title(page).startswith("PM2.5 at"), 60, "the time series title")
    before = series_title(page)
    canvas = page.locator(".maps canvas").first
    unmarked = canvas.screenshot()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.35)
    wait_until(page, lambda: series_title(page) != before, 60, "the time series to follow the tap")
    assert series_title(page).startswith("PM2.5 at") and series_title(page) != before
    page.mouse.move(0, 0)  # no hover tooltip in the picture: what changes is the ring at the tapped point
    wait_until(page, lambda: canvas.screenshot() != unmarked, 10, "the ring at the tapped point")

    # the hour player: the label and the maps' pixels follow it (frames per second recorded, target 4)
    first_map = page.locator(".maps canvas").first
    before_pixels = first_map.screenshot()
    labels = {text_of(page, ".hour-label p")}
    page.locator(".hour-player button").nth(5).click()  # play
    began = time.perf_counter()
    while time.perf_counter() - began < 3.0:
        labels.add(text_of(page, ".hour-label p"))
        page.wait_for_timeout(40)
    page.locator(".hour-player button").nth(4).click()  # pause
    TIMINGS["hour_player_fps"] = round((len(labels) - 1) / 3.0, 1)
    assert len(labels) >= 3
    page.wait_for_timeout(500)
    assert first_map.screenshot() != before_pixels  # the map shows another hour

    page.locator(".w-export select").select_option("bicubic-linear")
    with page.expect_download(timeout=60_000) as download:
        page.locator(".export-netcdf button").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "pm25_bicubic-linear_20240301T00-20240302T00.nc"
    result = deepcams.open_dataset(path)
    assert result["pm25"].dims == ("time", "lat", "lon") and result.sizes["time"] == 25
    cams, _ = open_demo()
    expected = deepcams.downscale(cams, "bicubic-linear", bbox="60,5,100,35", end="2024-03-02")
    xr.testing.assert_allclose(result["pm25"].load(), expected["pm25"])

    with page.expect_download(timeout=60_000) as download:
        page.locator(".export-png button").click()
    png = tmp_path / download.value.suggested_filename
    download.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000

    north = page.locator(".w-north input")
    north.fill("-10")
    north.press("Enter")
    wait_until(page, lambda: "empty bbox" in text_of(page, ".status-alert p"), 60, "the error message")
    page.screenshot(path=str(IMAGES / "dashboard-error.png"), full_page=False)
    north.fill("35")
    north.press("Enter")
    wait_until(page, lambda: not page.locator(".status-alert").is_visible(), 60, "the error to clear")
    page.locator(".w-dataset select").select_option(label="Real sample, CAMS 2019-12-31 (no truth)")
    page.get_by_text("nearest-nearest", exact=True).click()
    run_and_wait(page, ["nearest-nearest"])  # the app stays usable after an error

    assert watch.external == []
    assert watch.errors == []
    page.close()


def test_ensemble_scores_spread_map_and_band(server, browser, tmp_path):
    """deepcams-ensemble ticked beside the opening methods: its CRPS and spread-skill in the table, the
    spread card's map once opened, and its quantile band at the point in the series' CSV."""
    page, watch, _ = open_page(browser, server, timeout=240)
    page.locator(".w-methods").get_by_text("deepcams-ensemble", exact=True).click()
    TIMINGS["run_ensemble_and_opening_methods_s"] = round(run_and_wait(page, ["deepcams-ensemble"]), 2)
    table = text_of(page, ".metrics-table table")
    assert "CRPS" in table and "spread / RMSE" in table and "deepcams-ensemble" in table
    page.get_by_text("Ensemble spread: where the added detail is reliable").click()
    page.wait_for_selector(".ensemble-map canvas", state="visible", timeout=60_000)
    assert "calibrated" in text_of(page, ".ensemble-note p")
    with page.expect_download(timeout=60_000) as download:
        page.locator(".export-csv button").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    header = next(line for line in path.read_text().splitlines() if line.startswith("time_utc"))
    assert "deepcams-ensemble 5%" in header and "deepcams-ensemble 95%" in header
    page.locator(".ensemble-view").screenshot(path=str(IMAGES / "dashboard-ensemble.png"))
    assert watch.external == [] and watch.errors == []
    page.close()


def test_hostile_names_show_as_text_and_run_nothing(server, browser, roots):
    page, watch, _ = open_page(browser, server)
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message) or dialog.dismiss())
    page.locator(".w-dataset select").select_option(label=f"{HOSTILE_FOLDER} (unreadable)")
    wait_until(page, lambda: HOSTILE_FILE in text_of(page, ".status-alert p"), 30, "the hostile file's name")
    alert = text_of(page, ".status-alert p")
    assert HOSTILE_UNITS in alert  # shown as text, every character of it
    toasts = " ".join(page.locator(".notyf__message").all_inner_texts())
    assert HOSTILE_FILE in toasts and HOSTILE_UNITS in toasts
    assert str(roots[1].parent) not in alert + toasts  # paths relative to their root
    page.wait_for_timeout(1000)  # time for an injected handler to fire, were there one
    assert page.evaluate("() => window.__xss") is None and dialogs == []
    assert watch.errors == [] and watch.external == []
    page.close()


def test_user_data_roots(server, browser, roots):
    page, watch, _ = open_page(browser, server)
    options = page.locator(".w-dataset select option").all_inner_texts()
    assert f"{roots[0].name} (CAMS input)" in options and "fires (CAMS input)" in options
    page.locator(".w-dataset select").select_option(label="fires (CAMS input)")
    wait_until(
        page, lambda: "truncated.nc" in text_of(page, ".status-alert p"), 30, "the unreadable file message"
    )
    assert "unreadable file skipped" in text_of(page, ".status-alert p")
    wait_until(
        page, lambda: "2019-12-31 15:00" in text_of(page, ".availability p"), 30, "the user data's times"
    )
    page.locator(".w-region select").select_option("SE Australia")
    run_and_wait(page, ["bicubic-linear"])
    assert watch.errors == [] and watch.external == []
    page.close()


def server_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


# each page's region and its box as the status line names it
AT_ONCE = {
    "Europe": "-12,35,40,70",
    "East Asia": "100,20,145,50",
    "North America": "-130,20,-60,55",
    "South America": "-82,-56,-34,13",
}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's memory from /proc")
def test_pages_running_at_once_all_finish_and_give_their_memory_back(server, browser):
    """Four pages each run a demo region day at once (the server runs two at a time, the others wait in
    line): every run completes; meanwhile a new page becomes usable and an idle page's tap is answered;
    once the pages close the server's memory comes back near where it was. How fast each of these is:
    `python benchmarks/bench_dashboard.py --pages 8` (docs/benchmarks.md)."""
    idle, idle_watch, _ = open_page(browser, server, 1200, 900, timeout=240)
    pages = []
    for region in AT_ONCE:
        page, watch, _ = open_page(browser, server, 1200, 900)
        page.locator(".w-dataset select").select_option(
            label="Demo world, simulation (synthetic input = coarsened synthetic truth)"
        )
        wait_until(page, lambda page=page: "2024-03-01" in text_of(page, ".availability p"), 120, "demo")
        page.locator(".w-region select").select_option(region)
        pages.append((page, watch, region))
    start_mib = server_rss_mib(server["pid"])
    for page, _, _ in pages:
        page.locator(".run button").click(timeout=120_000)

    fresh = browser.new_page(viewport={"width": 1200, "height": 900})
    fresh.goto(server["url"], timeout=120_000)
    fresh.locator(".run button").wait_for(state="visible", timeout=120_000)  # usable while the runs go on
    before = series_title(idle)
    tapped = idle.locator(".maps canvas").first
    tapped.scroll_into_view_if_needed()  # a map below the fold takes no click
    box = tapped.bounding_box()
    idle.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    wait_until(idle, lambda: series_title(idle) != before, 120, "the idle page's tap")

    for page, _, region in pages:
        wait_until(
            page,
            lambda page=page, region=region: (
                status_text(page).startswith("Ran ") and AT_ONCE[region] in status_text(page)
            ),
            300,
            f"the run in {region}",
        )
        assert "deepcams" in text_of(page, ".metrics-table table")
    assert all(watch.errors == [] and watch.external == [] for _, watch, _ in pages)
    assert idle_watch.errors == []
    for page in [idle, fresh, *(page for page, _, _ in pages)]:
        page.close()
    # bokeh ends a closed page's session after ~15-30 s; its results stay in the server's bounded cache
    deadline = time.monotonic() + 90
    while server_rss_mib(server["pid"]) > start_mib + 250 and time.monotonic() < deadline:
        time.sleep(1)
    assert server_rss_mib(server["pid"]) <= start_mib + 250
