"""The hostile-input campaign (issue 15) as a table: bad files, arguments and faults given to the CLI.

Every case runs `python -m deepcams` in a subprocess, in an empty directory of its own, and must end
with exit code 2 and one `error: ...` line naming the problem: no traceback, no crash, and nothing left
behind (no output, no temporary, no lock). Cases that are accepted say what they print instead. Add a row
for every new bad input found. All inputs derive from one small CAMS region written once.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

REGION = {"lat": slice(35, 55), "lon": slice(-10, 10)}  # 27 x 27 CAMS cells, 4 times
BOX = "-5,40,5,50"
FAST = ("--method", "bicubic-linear", "-q")


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]  # {name} is an input file below; {out} the output in the case's own directory
    expect: str  # in the one error line (exit 2), or in stdout when `code` is 0
    code: int = 2


def downscale(*sources_then_options: str) -> tuple[str, ...]:
    sources = [arg for arg in sources_then_options if arg.startswith("{")]
    options = [arg for arg in sources_then_options if not arg.startswith("{")]
    return ("downscale", *sources, "-o", "{out}", "--bbox", BOX, *FAST, *options)


def weights(path: str) -> tuple[str, ...]:
    return ("downscale", "{small}", "-o", "{out}", "--bbox", BOX, "-q", "--ssr-weights", path)


def produce(*extra: str) -> tuple[str, ...]:
    return ("produce", "--cams", "{small}", "--start", "2020-01-01", "--end", "2020-01-01", "-o", "{out}",
            "--bbox", BOX, "--method", "bicubic-linear", *extra)  # fmt: skip


CASES = [
    Case("netcdf3 classic truncated in its data", downscale("{nc3_truncated}"), "is truncated"),
    Case("netcdf3 64-bit offset truncated in its data", downscale("{nc3_64_truncated}"), "is truncated"),
    Case("netcdf4 truncated", downscale("{nc4_truncated}"), "corrupt or truncated"),
    Case("not netcdf at all", downscale("{junk}"), "not a NetCDF file"),
    Case("float16 variable is read as float32", ("info", "{half}"), "CAMS EAC4 0.75 deg", code=0),
    Case("float16 variable downscaled", downscale("{half}"), "", code=0),
    Case(
        "output names the input",
        ("downscale", "{victim}", "-o", "{victim}", "--bbox", BOX, *FAST),
        "is one of the inputs",
    ),  # fmt: skip
    Case("weights metadata not json", weights("{w_notjson}"), "not JSON"),
    Case("weights metadata a list", weights("{w_list}"), "not a mapping"),
    Case("weights metadata missing keys", weights("{w_nokeys}"), "lacks"),
    Case("weights channels -5", weights("{w_negative}"), "channels=-5"),
    Case("weights channels 200000", weights("{w_huge}"), "channels=200000"),
    Case("cams and geos-cf to downscale", downscale("{small}", "{geoscf}"), "give files of one grid"),
    Case("cams and geos-cf to info: each described", ("info", "{small}", "{geoscf}"), "GEOS-CF 0.25", code=0),
    Case("+inf inside the box", downscale("{plus_inf}"), "infinite values"),
    Case("-inf inside the box", downscale("{minus_inf}"), "infinite values"),
    Case("1e30 kg m-3", downscale("{overflow}"), "out of range for PM2.5"),
    Case("kg m-3 data labelled ug m-3", downscale("{kg_as_ug}"), "labelled ug m-3"),
    Case("ug m-3 data labelled kg m-3", downscale("{ug_as_kg}"), "labelled kg m-3"),
    Case("implausible values allowed", downscale("{kg_as_ug}", "--allow-implausible"), "", code=0),
    Case("produce --tile 0", produce("--tile", "0"), "argument --tile"),
    Case("produce --tile -1", produce("--tile=-1"), "argument --tile"),
    Case("produce --tile 1", produce("--tile", "1"), "at least 32"),
    Case("produce --workers 0", produce("--workers", "0"), "argument --workers"),
    Case("produce --workers=-1", produce("--workers=-1"), "argument --workers"),
    Case("produce --scheduler foo://bar", produce("--scheduler", "foo://bar"), "argument --scheduler"),
    Case("produce on a locked archive", produce(), "being written by another run"),
    Case("--times not dates", ("downscale", "{small}", "-o", "{out}", "--times", "x,y,z,w"), "--times"),
    Case("glob characters in an existing name", ("info", "{globby}"), "grid:", code=0),
    Case("evaluate products on different grids", ("evaluate", "{product}", "{small}"), "0.75 x 0.75 deg"),
    Case(
        "--bbox with a negative west, space form",
        ("downscale", "{small}", "-o", "{out}", "--bbox", "-5,40,5,50", *FAST),
        "",
        code=0,
    ),  # fmt: skip
    Case("--bbox without its value", ("downscale", "{small}", "-o", "{out}", "--bbox"), "--bbox=-20,0,10,30"),
    Case("disk full while writing", ("<enospc>", *downscale("{small}")), "no space left on"),
    Case("--ensemble 0", ("downscale", "{small}", "-o", "{out}", "--ensemble", "0"), "argument --ensemble"),
    Case(
        "--ensemble not a number",
        ("downscale", "{small}", "-o", "{out}", "--ensemble", "x"),
        "argument --ensemble",
    ),
    Case(
        "--quantiles not numbers",
        ("downscale", "{small}", "-o", "{out}", "--ensemble", "2", "--quantiles", "a,b"),
        "argument --quantiles",
    ),
    Case("produce of an ensemble", produce("--method", "deepcams-ensemble"), "cannot hold an ensemble"),
    Case("--ensemble of a baseline", downscale("{small}", "--ensemble", "2"), "not of 'bicubic-linear'"),
]


def _write_inputs(directory: Path) -> dict[str, Path]:
    """Every hostile input, derived from one small real CAMS region."""
    import deepcams
    from deepcams.io.providers import to_cams_netcdf, to_geoscf_netcdf

    cams = deepcams.open_sample_cams().sel(**REGION)
    files = {"small": to_cams_netcdf(cams, directory / "small.nc")}
    raw = xr.open_dataset(files["small"]).load()

    def variant(name: str, change=None, units=None, **to_netcdf) -> Path:
        ds = raw.copy(deep=True)
        if change is not None:
            change(ds["pm2p5"])
        if units is not None:
            ds["pm2p5"].attrs["units"] = units
        path = directory / f"{name}.nc"
        ds.to_netcdf(path, **to_netcdf)
        return path

    def cut(path: Path, name: str, keep: float) -> Path:
        data = path.read_bytes()
        out = directory / f"{name}.nc"
        out.write_bytes(data[: int(len(data) * keep)])
        return out

    files["nc3_truncated"] = cut(variant("nc3", format="NETCDF3_CLASSIC"), "nc3_truncated", 0.7)
    files["nc3_64_truncated"] = cut(variant("nc3_64", format="NETCDF3_64BIT"), "nc3_64_truncated", 0.7)
    files["nc4_truncated"] = cut(files["small"], "nc4_truncated", 0.4)
    files["junk"] = directory / "junk.nc"
    files["junk"].write_text("hello")
    half = {"engine": "h5netcdf", "encoding": {"pm2p5": {"dtype": "float16"}}}  # ug m-3: kg m-3 underflows
    files["half"] = variant("half", lambda da: da.values.__imul__(1e9), units="ug m-3", **half)
    files["victim"] = variant("victim")

    def at_box_centre(value: float):
        def change(da: xr.DataArray) -> None:
            da.loc[{"valid_time": da["valid_time"][1], "latitude": 45.0, "longitude": 0.0}] = value

        return change

    files["plus_inf"] = variant("plus_inf", at_box_centre(np.inf))
    files["minus_inf"] = variant("minus_inf", at_box_centre(-np.inf))
    files["overflow"] = variant("overflow", at_box_centre(1e30))  # kg m-3: beyond float32 in ug m-3
    files["kg_as_ug"] = variant("kg_as_ug", units="ug m-3")
    files["ug_as_kg"] = variant("ug_as_kg", lambda da: da.values.__imul__(1e9))
    files["globby"] = variant("cams[1]")
    geoscf = deepcams.open_sample_geoscf().sel(**REGION)
    files["geoscf"] = to_geoscf_netcdf(geoscf, directory / "geoscf.nc")
    product = deepcams.downscale(cams, "bicubic-linear", bbox=BOX)
    files["product"] = deepcams.to_netcdf(product, directory / "product.nc")
    files.update(_tampered_weights(directory))
    return files


def _tampered_weights(directory: Path) -> dict[str, Path]:
    from safetensors.numpy import load_file, save_file

    from deepcams.models import default_weights, read_metadata

    source = default_weights("ssr")
    tensors, meta = load_file(str(source)), read_metadata(source)
    texts = {
        "w_notjson": "{not json",
        "w_list": json.dumps([meta]),
        "w_nokeys": json.dumps({"format": meta["format"]}),
        "w_negative": json.dumps({**meta, "config": {**meta["config"], "channels": -5}}),
        "w_huge": json.dumps({**meta, "config": {**meta["config"], "channels": 200000}}),
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = directory / f"{name}.safetensors"
        save_file(tensors, str(paths[name]), metadata={"deepcams": text})
    return paths


# a disk that fills up, where no tmpfs can be mounted: the HDF5 library reports a bare "HDF error"
_ENOSPC = f"""
import sys, xarray
def full(self, *args, **kwargs):
    raise RuntimeError("NetCDF: HDF error") from OSError({errno.ENOSPC}, "No space left on device")
xarray.Dataset.to_netcdf = full
from deepcams.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _mount_small_tmpfs(directory: Path) -> bool:
    """A real full disk: a 64 kB tmpfs on `directory` (root only; False where it cannot be mounted)."""
    if os.geteuid() != 0:
        return False
    mount = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(directory)]
    return subprocess.run(mount, capture_output=True).returncode == 0


def _run(case: Case, files: dict[str, Path], workdir: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """The case's process and what it left in its directory."""
    workdir.mkdir()
    names = {name: str(path) for name, path in files.items()}
    args = [arg.format(out=workdir / "out.nc", **names) for arg in case.args]
    if case.name == "produce on a locked archive":  # a lock of this (live) test process
        args[args.index(str(workdir / "out.nc"))] = str(workdir / "out.zarr")
        lock = {"host": os.uname().nodename, "pid": os.getpid(), "started": "now"}
        (workdir / "out.zarr.lock").write_text(json.dumps(lock))
    command = [sys.executable, "-m", "deepcams", *args]
    mounted = False
    if args[0] == "<enospc>":
        mounted = _mount_small_tmpfs(workdir)
        command = (
            [sys.executable, "-m", "deepcams", *args[1:]]
            if mounted
            else [sys.executable, "-c", _ENOSPC, *args[1:]]
        )
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=workdir)
        return run, sorted(p.name for p in workdir.iterdir())
    finally:
        if mounted:
            subprocess.run(["umount", str(workdir)], capture_output=True)


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, request):
    """Run the selected cases, three at a time (each is mostly interpreter start-up)."""
    inputs = tmp_path_factory.mktemp("hostile-inputs")
    files = _write_inputs(inputs)
    before = _digest(inputs)
    selected = {
        item.callspec.params["case"].name
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)
    }
    cases = [case for case in CASES if case.name in selected]
    runs = tmp_path_factory.mktemp("hostile-runs")
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = pool.map(lambda c: _run(c, files, runs / f"case{CASES.index(c)}"), cases)
        results = dict(zip([c.name for c in cases], done, strict=True))
    yield results
    assert _digest(inputs) == before, "a case changed or left files next to the inputs"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input(case, campaign):
    run, left = campaign[case.name]
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    assert run.returncode == case.code, run.stdout + run.stderr
    if case.code == 0:
        assert case.expect in run.stdout
        assert run.stderr.strip() == "", run.stderr
        return
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert case.expect in lines[0], lines[0]
    assert run.stdout.strip() == "", run.stdout
    expected = ["out.zarr.lock"] if case.name == "produce on a locked archive" else []
    assert left == expected, f"left behind: {left}"


def test_ctrl_c_while_the_output_is_written(tmp_path):
    """SIGINT once the output's temporary is filling up: exit 130 within seconds, not a hang in xarray's
    file lock; no output and no temporary left."""
    import deepcams
    from deepcams.io.providers import to_cams_netcdf

    source = to_cams_netcdf(deepcams.open_sample_cams(), tmp_path / "global.nc")  # about 1 s to write out
    workdir = tmp_path / "run"
    workdir.mkdir()
    command = [sys.executable, "-m", "deepcams", "downscale", str(source), "-o", "out.nc", *FAST]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a suite started in the background (`cmd &`) ignores SIGINT, and so would the child: give it
        # the terminal's default, which Python turns into KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 240
        while process.poll() is None and time.monotonic() < deadline and not _filling(workdir):
            time.sleep(0.002)
        assert process.poll() is None, "the run ended before its output could be interrupted"
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert time.monotonic() - sent < 15, "Ctrl-C took too long to end the run"
    assert process.returncode == 130, err
    assert err.strip() == "error: interrupted" and out == "", err
    assert sorted(p.name for p in workdir.iterdir()) == []


def _filling(directory: Path) -> bool:
    """True once the output's temporary holds data (1 MB): the write is under way."""
    for item in directory.glob(".out.nc.*.tmp.nc"):
        try:
            if item.stat().st_size > 1024**2:
                return True
        except FileNotFoundError:
            pass
    return False
