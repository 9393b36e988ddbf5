"""Production on a real 2-worker LocalCluster: day tasks, resume, faults (killed worker, SIGINT, bad days)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr

import deepcams
from deepcams.cli import main
from deepcams.grids import CAMS
from deepcams.io.conventions import pm25_dataset
from deepcams.io.providers import to_cams_netcdf
from deepcams.production import produce, verify_archive
from deepcams.production.archive import read_records

pytestmark = pytest.mark.slow
BBOX = "0,30,45,65"  # 141 x 181 pixels: big enough that a day takes a noticeable moment
START = "2024-03-01"
DAYS = 8  # input files; runs produce days 1..7 (day 7 reads day 8's 00 UTC frame)
METHOD = "bicubic-linear"  # fast and exact for the fault tests; the learned default has a test of its own


def write_cams_days(directory: Path, days: int = DAYS, start: str = START) -> list[Path]:
    """One CAMS EAC4-convention NetCDF file per day (8 frames, 3-hourly) over a region around BBOX."""
    lat = CAMS.lat[(CAMS.lat >= 25) & (CAMS.lat <= 70)]
    lon = CAMS.lon[(CAMS.lon >= -5) & (CAMS.lon <= 50)]
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for d in range(days):
        times = pd.date_range(pd.Timestamp(start) + pd.Timedelta(days=d), periods=8, freq="3h")
        hours = ((times - pd.Timestamp(start)) / pd.Timedelta(hours=1)).to_numpy()[:, None, None]
        field = 30 + 20 * np.sin(np.radians(lat)[None, :, None] * 5 + hours / 7) * np.cos(
            np.radians(lon)[None, None, :] * 4 - hours / 11
        )
        ds = pm25_dataset(field, times, lat, lon, {"source": "test field"})
        paths.append(to_cams_netcdf(ds, directory / f"cams_{times[0]:%Y%m%d}.nc"))
    return paths


def tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def assert_same_bytes(a: Path, b: Path) -> None:
    left, right = tree(a), tree(b)
    assert sorted(left) == sorted(right)
    different = [name for name in left if left[name] != right[name]]
    assert different == []


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cl:
        with Client(cl) as client:
            yield client


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("cams")
    write_cams_days(directory)
    return directory


@pytest.fixture(scope="module")
def reference(inputs, cluster, tmp_path_factory) -> Path:
    """An undisturbed run over days 1..7."""
    store = tmp_path_factory.mktemp("ref") / "ref.zarr"
    report = produce(
        str(inputs / "*.nc"),
        store,
        START,
        "2024-03-07",
        bbox=BBOX,
        method=METHOD,
        client=cluster,
        log=lambda s: None,
    )
    assert report.complete and len(report.done) == 7
    return store


def _wait_for_workers(client, count=2, timeout=60):
    client.wait_for_workers(count, timeout=timeout)


def test_archive_is_cf_complete_and_equals_one_pipeline_run(reference, inputs):
    ds = xr.open_zarr(reference, consolidated=True)
    assert ds.sizes["time"] == 7 * 24
    assert ds["pm25"].encoding["chunks"][0] == 24
    assert ds["pm25"].attrs["units"] == "ug m-3" and ds["pm25"].attrs["standard_name"]
    assert ds.attrs["method"] == METHOD
    assert ds.attrs["deepcams_version"] == deepcams.__version__
    assert "cams_20240308.nc" in ds.attrs["input_files"]
    assert sorted(read_records(reference)) == [f"2024-03-0{d}" for d in range(1, 8)]
    # day by day equals one pass of the pipeline over the whole range (to float32 rounding)
    whole = deepcams.downscale(deepcams.open_cams(str(inputs / "*.nc")), METHOD, bbox=BBOX, end="2024-03-08")
    np.testing.assert_allclose(ds["pm25"].values, whole["pm25"].values[: 7 * 24], rtol=1e-6, atol=0)
    report = verify_archive(reference)
    assert report.ok, report.summary()


def test_last_day_of_the_input_is_handled(inputs, cluster, tmp_path):
    """Day 8 has no next-day 00 UTC frame: the archive ends at its last input frame (21 UTC)."""
    store = tmp_path / "last.zarr"
    files = [str(p) for p in sorted(inputs.glob("*.nc"))[-2:]]
    report = produce(
        files, store, "2024-03-07", "2024-03-08", bbox=BBOX, method=METHOD, client=cluster, log=lambda s: None
    )
    assert report.complete
    ds = xr.open_zarr(store)
    assert ds.sizes["time"] == 24 + 22
    assert pd.Timestamp(ds["time"].values[-1]) == pd.Timestamp("2024-03-08T21:00")
    assert read_records(store)["2024-03-08"]["hours"] == 22
    assert verify_archive(store).ok


def test_rerun_skips_complete_days_and_redoes_only_missing_records(reference, inputs, cluster, tmp_path):
    store = tmp_path / "again.zarr"
    shutil.copytree(reference, store)
    (store / "completed" / "2024-03-04.json").unlink()
    lines = []
    report = produce(
        str(inputs / "*.nc"),
        store,
        START,
        "2024-03-07",
        bbox=BBOX,
        method=METHOD,
        client=cluster,
        log=lines.append,
    )
    assert report.done == ["2024-03-04"] and len(report.skipped) == 6
    assert_same_bytes(store, reference)
    report = produce(
        str(inputs / "*.nc"),
        store,
        START,
        "2024-03-07",
        bbox=BBOX,
        method=METHOD,
        client=cluster,
        log=lines.append,
    )
    assert report.done == [] and len(report.skipped) == 7
    with pytest.raises(deepcams.DeepcamsError, match="method"):
        produce(
            str(inputs / "*.nc"),
            store,
            START,
            "2024-03-07",
            bbox=BBOX,
            method="nearest-nearest",
            client=cluster,
        )


def test_killed_worker_run_completes_with_the_same_bytes(reference, inputs, cluster, tmp_path):
    _wait_for_workers(cluster)
    store = tmp_path / "killed.zarr"
    before = cluster.run(os.getpid)
    killed = []

    def kill_when_running():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, keys in cluster.processing().items() if keys]
            if busy and (store / "completed").is_dir() and any((store / "completed").glob("2*.json")):
                os.kill(before[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_running)
    killer.start()
    report = produce(
        str(inputs / "*.nc"),
        store,
        START,
        "2024-03-07",
        bbox=BBOX,
        method=METHOD,
        client=cluster,
        log=lambda s: None,
    )
    killer.join()
    assert killed, "the run ended before a worker could be killed"
    assert report.complete
    _wait_for_workers(cluster)
    assert set(cluster.run(os.getpid).values()) != set(before.values())  # the killed worker was replaced
    assert_same_bytes(store, reference)


def test_sigint_then_rerun_gives_the_same_bytes(reference, inputs, cluster, tmp_path):
    store = tmp_path / "interrupted.zarr"
    command = [sys.executable, "-m", "deepcams", "produce", "--cams", str(inputs / "*.nc"), "--start", START,
               "--end", "2024-03-07", "--bbox", BBOX, "--method", METHOD, "--workers", "2", "-o", str(store)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any((store / "completed").glob("2*.json")):
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output
    assert "interrupted" in output
    assert 0 < len(read_records(store)) < 7
    assert "Dask dashboard: http" in output
    lines = []  # the rerun, on the module's cluster (a second command-line run would only add start-up time)
    report = produce(
        str(inputs / "*.nc"),
        store,
        START,
        "2024-03-07",
        bbox=BBOX,
        method=METHOD,
        client=cluster,
        log=lines.append,
    )
    assert report.complete and report.skipped and report.done
    assert_same_bytes(store, reference)
    assert main(["verify", str(store)]) == 0


def test_missing_corrupt_and_bad_days_are_reported(inputs, cluster, tmp_path, capsys):
    directory = tmp_path / "cams"
    shutil.copytree(inputs, directory)
    (directory / "cams_20240302.nc").unlink()  # a day never downloaded
    corrupt = directory / "cams_20240304.nc"
    corrupt.write_bytes(corrupt.read_bytes()[:5000])  # an interrupted download
    with xr.open_dataset(directory / "cams_20240306.nc") as source:  # a file with a hole in its data
        bad = source.load()
    bad["pm2p5"][4, 10:20, 10:20] = np.nan
    bad.to_netcdf(directory / "cams_20240306.nc")
    store = tmp_path / "partial.zarr"
    code = main(["produce", "--cams", str(directory / "*.nc"), "--start", START, "--end", "2024-03-07",
                 "--bbox", BBOX, "--method", METHOD, "--scheduler", cluster.scheduler.address, "-o", str(store)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 3
    assert "incomplete: 2024-03-01: input lacks 1 frame(s): 2024-03-02T00" in out  # needs day 2's first frame
    assert "incomplete: 2024-03-02: input lacks" in out
    assert "cams_20240304.nc" in out and "corrupt or truncated" in out
    assert "incomplete: 2024-03-06:" in out and "NaN" in out
    assert sorted(read_records(store)) == ["2024-03-05", "2024-03-07"]
    assert main(["verify", str(store)]) == 1
    assert "2024-03-01: not complete" in capsys.readouterr().out


def test_verify_catches_tampered_data_and_warns_on_negative_values(reference, tmp_path, capsys):
    store = tmp_path / "tampered.zarr"
    shutil.copytree(reference, store)
    array = zarr.open_array(store / "pm25", mode="r+", zarr_format=2)
    block = array[30:31]
    array[30:31] = block * -1.0  # one hour of day 2 altered after its record was written
    assert main(["verify", str(store)]) == 1
    out = capsys.readouterr().out
    assert "2024-03-02: stored data differ from what was produced (checksum mismatch)" in out
    assert "2024-03-02:" in out and "negative values" in out and "warning" in out
    report = verify_archive(store, strict=True)
    assert any("negative values" in e for e in report.summary().splitlines()[1:])


def test_the_default_method_is_the_learned_model(inputs, cluster, tmp_path):
    store = tmp_path / "default.zarr"
    report = produce(str(inputs / "*.nc"), store, START, START, bbox=BBOX, client=cluster, log=lambda s: None)
    assert report.complete
    ds = xr.open_zarr(store)
    assert (
        ds.attrs["method"] == "deepcams" and ds.attrs["ssr_weights_sha256"] and ds.attrs["tsr_weights_sha256"]
    )
    assert verify_archive(store).ok
    # the correction conservation really applied is in each day's record, not a placeholder in the attrs
    assert "conservation_relative_correction" not in ds.attrs
    records = list((store / "completed").glob("*.json"))
    assert records and all(json.loads(r.read_text())["conservation_relative_correction"] > 0 for r in records)


def test_learned_method_options_reach_the_workers(inputs, cluster, tmp_path):
    store = tmp_path / "free.zarr"
    options = {"conserve": False, "device": "cpu"}
    report = produce(
        str(inputs / "*.nc"),
        store,
        START,
        START,
        bbox=BBOX,
        method_options=options,
        client=cluster,
        log=lambda s: None,
    )
    assert report.complete
    assert xr.open_zarr(store).attrs["conservation"] == "off"
    records = list((store / "completed").glob("*.json"))
    assert records and not any(
        "conservation_relative_correction" in json.loads(r.read_text()) for r in records
    )


def _run_days(directory: Path, store: Path, cluster, log=lambda s: None):
    return produce(str(directory / "*.nc"), store, START, "2024-03-07", bbox=BBOX, method=METHOD,
                   client=cluster, log=log)  # fmt: skip


def test_truncated_netcdf3_day_fails_and_a_restored_file_resumes(
    reference, inputs, cluster, tmp_path, capsys
):
    """A NetCDF3 file cut inside its data (read as zeros by the C library) is a failed day, not zeros;
    once the file is restored a rerun computes only the days that lacked it, to the reference bytes."""
    directory = tmp_path / "cams"
    shutil.copytree(inputs, directory)
    day = directory / "cams_20240304.nc"
    with xr.open_dataset(day) as source:
        source.load().to_netcdf(tmp_path / "classic.nc", format="NETCDF3_CLASSIC")
    data = (tmp_path / "classic.nc").read_bytes()
    day.write_bytes(data[: len(data) * 2 // 3])
    store = tmp_path / "resumed.zarr"
    report = _run_days(directory, store, cluster)
    assert sorted(report.failed) == ["2024-03-03", "2024-03-04"]
    assert "truncated" in report.failed["2024-03-04"]
    assert main(["verify", str(store)]) == 1
    capsys.readouterr()
    shutil.copy(inputs / day.name, day)  # the download repeated
    report = _run_days(directory, store, cluster)
    assert report.complete and sorted(report.done) == ["2024-03-03", "2024-03-04"]
    assert len(report.skipped) == 5
    assert_same_bytes(store, reference)
    assert verify_archive(store).ok


def test_a_second_run_on_a_locked_archive_refuses_and_a_stale_lock_is_taken_over(inputs, cluster, tmp_path):
    store = tmp_path / "locked.zarr"
    lock = tmp_path / "locked.zarr.lock"
    lock.write_text(json.dumps({"host": os.uname().nodename, "pid": os.getpid(), "started": "now"}))
    with pytest.raises(deepcams.DeepcamsError, match=f"pid {os.getpid()}"):
        produce(str(inputs / "*.nc"), store, START, START, bbox=BBOX, method=METHOD, client=cluster)
    assert not store.exists() and lock.exists()
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock.write_text(json.dumps({"host": os.uname().nodename, "pid": int(ended.stdout), "started": "then"}))
    report = produce(str(inputs / "*.nc"), store, START, START, bbox=BBOX, method=METHOD, client=cluster,
                     log=lambda s: None)  # fmt: skip
    assert report.complete and not lock.exists()
