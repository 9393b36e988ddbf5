"""The `deepcams` command line, end to end on real files, and each of its error paths."""

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from deepcams.io.providers import to_cams_netcdf


def cli(*args):
    """Run the installed command in a separate process, exactly as a user does."""
    command = [sys.executable, "-m", "deepcams", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture
def run_cli(capsys):
    """Run the CLI's main() in this process (fast), returning what a process would have shown."""
    from deepcams.cli import main

    def run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse exits on usage errors
            code = exc.code
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def cams_file(workdir, real_cams):
    path = workdir / "eac4.nc"
    to_cams_netcdf(real_cams, path)
    return path


def test_simulate_downscale_evaluate_on_the_real_sample(workdir):
    from importlib.resources import files

    truth = files("deepcams") / "data" / "sample_geoscf.nc"
    sim = cli("simulate", truth, "-o", workdir / "cams_like.nc", "-q")
    assert sim.returncode == 0, sim.stderr
    raw = xr.open_dataset(workdir / "cams_like.nc")
    assert "pm2p5" in raw and raw.pm2p5.attrs["units"] == "kg m**-3" and raw.latitude.values[0] == 90
    down = cli(
        "downscale",
        workdir / "cams_like.nc",
        "-o",
        workdir / "out.nc",
        "--method",
        "bicubic-linear",
        "--allow-nan",
        "-q",
    )
    assert down.returncode == 0, down.stderr
    out = xr.open_dataset(workdir / "out.nc")
    assert out.pm25.dims == ("time", "lat", "lon") and out.pm25.dtype == np.float32
    assert out.pm25.shape == (4, 721, 1440) and out.pm25.attrs["units"] == "ug m-3"
    assert out.lat.values[0] == -90 and out.lon.values[0] == -180 and out.lon.values[-1] == 179.75
    ev = cli("evaluate", workdir / "out.nc", truth, "--json", "--per-time")
    assert ev.returncode == 0, ev.stderr
    report = json.loads(ev.stdout)
    assert report["overall"]["mae"] == pytest.approx(0.57, abs=0.01)
    assert len(report["per_time"]) == 4


def test_downscale_region_and_dates(run_cli, cams_file, workdir):
    out_path = workdir / "region.nc"
    run = run_cli(
        "downscale",
        cams_file,
        "-o",
        out_path,
        "--bbox",
        "140,-40,155,-30",
        "--start",
        "2019-12-31T18",
        "--end",
        "2019-12-31T21",
        "-q",
    )
    assert run.returncode == 0, run.stderr
    out = xr.open_dataset(out_path)
    assert out.sizes["time"] == 4 and out.lon.values[0] == 140 and out.lat.values[-1] == -30
    info = run_cli("info", out_path)
    assert info.returncode == 0 and "GEOS-CF" in info.stdout and "4 steps" in info.stdout


def test_downscale_learned_method_options(run_cli, cams_file, workdir):
    """--no-conserve, --device and both weights reach the learned method; a baseline refuses them."""
    from deepcams.models import default_weights

    common = ["--bbox", "140,-40,155,-30", "--start", "2019-12-31T18", "--end", "2019-12-31T21", "-q"]
    weights = ["--tsr-weights", default_weights("tsr"), "--ssr-weights", default_weights("ssr")]
    free = workdir / "free.nc"
    run = run_cli("downscale", cams_file, "-o", free, "--no-conserve", "--device", "cpu", *weights, *common)
    assert run.returncode == 0, run.stderr
    attrs = xr.open_dataset(free).attrs
    assert attrs["conservation"] == "off" and "conservation_relative_correction" not in attrs
    assert attrs["device"] == "cpu"
    kept = workdir / "kept.nc"
    assert run_cli("downscale", cams_file, "-o", kept, *common).returncode == 0
    assert xr.open_dataset(kept).attrs["conservation_relative_correction"] > 0
    refused = workdir / "refused.nc"
    run = run_cli(
        "downscale", cams_file, "-o", refused, "--method", "bicubic-linear", "--no-conserve", *common
    )
    _assert_clean_error(run, refused, "takes no options")
    run = run_cli(
        "downscale", cams_file, "-o", refused, "--tsr-weights", workdir / "none.safetensors", *common
    )
    _assert_clean_error(run, refused, "no tsr weights")


def test_help_and_baselines_never_import_torch():
    code = (
        "import sys; from deepcams.cli import build_parser; from deepcams.methods import get_method; "
        "build_parser(); get_method('bicubic-linear'); assert 'torch' not in sys.modules, 'torch imported'"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def _assert_clean_error(run, output, pattern):
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert "Traceback" not in run.stderr
    assert pattern in lines[0]
    assert not output.exists()


def test_error_unreadable_and_truncated_files(run_cli, workdir, cams_file):
    out = workdir / "never.nc"
    (workdir / "junk.nc").write_text("hello")
    _assert_clean_error(cli("downscale", workdir / "junk.nc", "-o", out), out, "not a NetCDF file")
    data = cams_file.read_bytes()
    (workdir / "truncated.nc").write_bytes(data[: len(data) // 3])
    _assert_clean_error(run_cli("downscale", workdir / "truncated.nc", "-o", out), out, "truncated.nc")
    _assert_clean_error(run_cli("downscale", workdir / "nothere.nc", "-o", out), out, "no such file")


def test_error_wrong_variable_and_units(run_cli, workdir, real_cams):
    out = workdir / "never.nc"
    ds = real_cams.rename(pm25="o3")
    ds.to_netcdf(workdir / "ozone.nc")
    _assert_clean_error(run_cli("downscale", workdir / "ozone.nc", "-o", out), out, "no PM2.5 variable")
    to_cams_netcdf(real_cams, workdir / "ppb.nc")
    raw = xr.open_dataset(workdir / "ppb.nc").load()
    raw.pm2p5.attrs["units"] = "ppb"
    raw.to_netcdf(workdir / "ppb2.nc")
    _assert_clean_error(run_cli("downscale", workdir / "ppb2.nc", "-o", out), out, "unknown units 'ppb'")


def test_error_time_problems(run_cli, workdir, cams_file, real_cams):
    out = workdir / "never.nc"
    _assert_clean_error(
        run_cli("downscale", cams_file, "-o", out, "--start", "2019-12-31T16", "--end", "2019-12-31T20"),
        out,
        "only one input time step",
    )
    to_cams_netcdf(real_cams.isel(time=[0, 1, 3]), workdir / "gap.nc")
    _assert_clean_error(run_cli("downscale", workdir / "gap.nc", "-o", out), out, "irregular")
    _assert_clean_error(
        run_cli("downscale", cams_file, "-o", out, "--start", "2021-01-01", "--end", "2021-02-01"),
        out,
        "outside the data",
    )


def test_error_bad_bbox(run_cli, cams_file, workdir):
    out = workdir / "never.nc"
    _assert_clean_error(
        run_cli("downscale", cams_file, "-o", out, "--bbox", "10,20,10,30"), out, "empty bbox"
    )
    _assert_clean_error(run_cli("downscale", cams_file, "-o", out, "--bbox", "10,20,30"), out, "W,S,E,N")


# --- a new user's first commands (issue 12) -------------------------------------------------------------

FAST = ["--method", "bicubic-linear", "-q"]


@pytest.fixture(scope="module")
def regional_file(workdir, real_cams):
    """A regional CAMS download: south-eastern Australia, on CAMS nodes."""
    from deepcams.grids import select_region

    path = workdir / "regional.nc"
    to_cams_netcdf(select_region(real_cams, "139.5,-39.75,154.5,-30"), path)
    return path


def test_nan_error_names_the_command_line_flag(run_cli, workdir, real_cams):
    holed = real_cams.copy(deep=True)
    holed["pm25"][1, 70, 420] = np.nan  # -37.5 N, 135 E
    to_cams_netcdf(holed, workdir / "holed.nc")
    out = workdir / "never.nc"
    run = run_cli("downscale", workdir / "holed.nc", "-o", out, "--bbox", "130,-40,140,-35", *FAST)
    _assert_clean_error(run, out, "pass --allow-nan")
    allowed = run_cli(
        "downscale", workdir / "holed.nc", "-o", out, "--bbox", "130,-40,140,-35", "--allow-nan", *FAST
    )
    assert allowed.returncode == 0, allowed.stderr
    out.unlink()


def test_regional_input_defaults_to_its_own_extent(run_cli, regional_file, workdir, monkeypatch):
    out_path = workdir / "regional-out.nc"
    run = run_cli("downscale", regional_file, "-o", out_path, *FAST)
    assert run.returncode == 0, run.stderr
    out = xr.open_dataset(out_path)
    assert (out.lon.values[0], out.lon.values[-1]) == (139.5, 154.5)
    assert (out.lat.values[0], out.lat.values[-1]) == (-39.75, -30)
    assert xr.open_dataset(out_path).attrs["bbox"] == "139.5,-39.75,154.5,-30"

    asked = {}

    def produce(*args, **kwargs):  # what the CLI asks of the library, without a Dask cluster
        from deepcams.production import ProductionReport

        asked.update(kwargs)
        return ProductionReport(
            store=workdir / "a.zarr", total=1, failed={"2019-12-31": "input lacks 1 frame"}
        )

    monkeypatch.setattr("deepcams.cli.produce.produce", produce)
    run = run_cli(
        "produce", "--cams", regional_file, "--start", "2019-12-31", "--end", "2019-12-31", "-o", "a.zarr"
    )
    assert str(asked["bbox"]) == "139.5,-39.75,154.5,-30"
    assert run.returncode == 3 and "1 of 1 day has no data" in run.stdout


def test_dates_beyond_the_data_are_errors_not_clipped(run_cli, cams_file, workdir):
    out = workdir / "never.nc"
    box = ["--bbox", "140,-40,155,-30", *FAST]
    before = run_cli(
        "downscale", cams_file, "-o", out, "--start", "2019-12-31T00", "--end", "2019-12-31T21", *box
    )
    _assert_clean_error(before, out, "--start 2019-12-31 00:00:00 is outside the data")
    after = run_cli(
        "downscale", cams_file, "-o", out, "--start", "2019-12-31T18", "--end", "2020-01-02", *box
    )
    _assert_clean_error(after, out, "--end 2020-01-02 00:00:00 is outside the data")


def test_downscale_help_names_the_default_method(run_cli):
    from deepcams.methods import DEFAULT_METHOD

    run = run_cli("downscale", "--help")
    assert run.returncode == 0
    assert f"(default {DEFAULT_METHOD})" in " ".join(run.stdout.split())


def test_info_of_a_product_and_of_files_on_two_grids(run_cli, regional_file, workdir):
    product = workdir / "info-product.nc"
    assert run_cli("downscale", regional_file, "-o", product, *FAST).returncode == 0
    info = run_cli("info", product)
    assert info.returncode == 0, info.stderr
    assert (
        "read from info-product.nc" in info.stdout
        and "made by:   bicubic-linear from regional.nc" in info.stdout
    )
    both = run_cli("info", regional_file, product)
    assert both.returncode == 0, both.stderr
    assert both.stdout.count("== ") == 2 and "CAMS EAC4" in both.stdout and "GEOS-CF" in both.stdout
    single = run_cli("info", workdir / "eac4.nc")
    assert "(4 steps, 3 h)" in single.stdout


def test_evaluate_prints_pixel_counts_as_integers(run_cli, regional_file, workdir):
    product = workdir / "eval-product.nc"
    assert run_cli("downscale", regional_file, "-o", product, *FAST).returncode == 0
    truth = workdir / "eval-truth.nc"
    other = run_cli("downscale", regional_file, "-o", truth, "--method", "nearest-nearest", "-q")
    assert other.returncode == 0, other.stderr
    table = run_cli("evaluate", product, truth, "--per-time")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[-1] == "n" and rows
    assert all(row.split()[-1].isdigit() for row in rows), table.stdout
    report = json.loads(run_cli("evaluate", product, truth, "--per-time", "--json").stdout)
    assert all(isinstance(row["n"], int) for row in [report["overall"], *report["per_time"].values()])


def test_help_never_imports_the_dashboard():
    code = (
        "import sys; from deepcams.cli import build_parser; build_parser(); assert 'panel' not in sys.modules"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


@pytest.mark.slow
def test_app_serves_the_dashboard_from_the_installed_package(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "deepcams", "app", "--port", str(port), "--address", "127.0.0.1"]
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/app", timeout=120) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "app.log").read_text()
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    assert "<title>deepcams: CAMS PM2.5 downscaled" in page
    assert "static/js/bokeh" in page and "cdn." not in page  # the JavaScript comes from the server: offline
    assert f"http://127.0.0.1:{port}/app" in (tmp_path / "app.log").read_text()
