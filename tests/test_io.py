"""Readers and writers on real files written in each provider's exact conventions."""

import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.io
import xarray as xr

import deepcams
from deepcams import DeepcamsError
from deepcams.io import (
    open_cams,
    open_dataset,
    open_geoscf,
    open_mat,
    to_netcdf,
    to_zarr,
    units_factor,
    writers,
)
from deepcams.io.probe import netcdf_engine, probe_file
from deepcams.io.providers import to_cams_netcdf, to_geoscf_netcdf


@pytest.fixture(scope="module")
def cams(real_cams):
    return real_cams


def _raw_cams(cams, time_name="valid_time", units="kg m**-3", scale=1e-9):
    """A CAMS EAC4 file as the ADS writes it, built by hand (not through the project's writer)."""
    values = cams.pm25.values[:, ::-1, :].astype("float64") * scale  # north first
    lon360 = np.mod(cams.lon.values, 360.0)
    order = np.argsort(lon360)
    ds = xr.Dataset(
        {
            "pm2p5": (
                (time_name, "latitude", "longitude"),
                values[:, :, order].astype("float32"),
                {"units": units},
            )
        },
        coords={
            time_name: cams.time.values,
            "latitude": cams.lat.values[::-1],
            "longitude": lon360[order],
            "number": 0,
            "expver": ("valid_time", ["0001"] * cams.sizes["time"]) if time_name == "valid_time" else 0,
        },
    )
    return ds


@pytest.mark.parametrize("time_name", ["valid_time", "time"])
def test_cams_files_in_both_time_conventions_land_on_the_canonical_arrays(tmp_path, cams, time_name):
    path = tmp_path / "eac4.nc"
    _raw_cams(cams, time_name).to_netcdf(path)
    ds = open_cams(path)
    assert ds.pm25.dims == ("time", "lat", "lon")
    assert ds.pm25.dtype == np.float32 and ds.pm25.attrs["units"] == "ug m-3"
    assert ds.lat.values[0] == -90 and ds.lon.values[0] == -180 and ds.lon.values[-1] == 179.25
    np.testing.assert_allclose(ds.pm25.values, cams.pm25.values, rtol=1e-6)
    np.testing.assert_array_equal(ds.time.values, cams.time.values)
    assert ds.pm25.attrs["standard_name"] == "mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air"


def test_cams_writer_round_trip_and_unit_variants(tmp_path, cams):
    to_cams_netcdf(cams, tmp_path / "a.nc", time_name="time")
    raw = xr.open_dataset(tmp_path / "a.nc")
    assert (
        raw.latitude.values[0] == 90 and raw.longitude.values[0] == 0 and raw.longitude.values[-1] == 359.25
    )
    np.testing.assert_allclose(open_cams(tmp_path / "a.nc").pm25.values, cams.pm25.values, rtol=1e-6)
    _raw_cams(cams, units="ug m-3", scale=1.0).to_netcdf(tmp_path / "ug.nc")
    np.testing.assert_allclose(open_cams(tmp_path / "ug.nc").pm25.values, cams.pm25.values, rtol=1e-6)


@pytest.mark.parametrize(
    "units,factor",
    [
        ("kg m-3", 1e9),
        ("kg m**-3", 1e9),
        ("kg/m3", 1e9),
        ("ug m-3", 1),
        ("ug/m3", 1),
        ("µg m-3", 1),
        ("μg/m3", 1),
        ("ug m^-3", 1),
        ("microgram/m3", 1),
        ("ng m-3", 1e-3),
    ],
)
def test_units_are_read_from_attributes(units, factor):
    assert units_factor(units, "x") == factor


@pytest.mark.parametrize("units", [None, "", "mol mol-1", "ppb", "kg"])
def test_missing_or_unknown_units_name_the_variable(units):
    with pytest.raises(DeepcamsError, match="'pm2p5'"):
        units_factor(units, "pm2p5")


def test_units_stated_by_the_caller_override_a_file_without_them(tmp_path, cams):
    raw = _raw_cams(cams)
    del raw["pm2p5"].attrs["units"]
    raw.to_netcdf(tmp_path / "nounits.nc")
    with pytest.raises(DeepcamsError, match="pm2p5.*no units"):
        open_cams(tmp_path / "nounits.nc")
    np.testing.assert_allclose(
        open_cams(tmp_path / "nounits.nc", units="kg m-3").pm25.values, cams.pm25.values, rtol=1e-6
    )


def test_many_cams_files_open_lazily_along_time(tmp_path, cams):
    for k in range(cams.sizes["time"]):
        to_cams_netcdf(cams.isel(time=[k]), tmp_path / f"day{k}.nc")
    ds = open_cams(str(tmp_path / "day*.nc"))
    assert ds.pm25.chunks is not None  # dask-backed
    np.testing.assert_allclose(ds.pm25.values, cams.pm25.values, rtol=1e-6)


def test_closing_what_a_reader_returns_closes_its_files(tmp_path, cams, real_geoscf):
    """Production closes its inputs in the thread that read them (the netCDF library is not thread-safe):
    that needs `with open_cams(...)` to release the files, not wait for garbage collection."""
    from xarray.backends.file_manager import FILE_CACHE

    for k in range(2):
        to_cams_netcdf(cams.isel(time=[k]), tmp_path / f"day{k}.nc")
    to_geoscf_netcdf(real_geoscf.isel(time=[0], lat=slice(300, 310), lon=slice(600, 610)), tmp_path / "g.nc")

    def open_names():
        return {os.path.basename(str(key[1][0])) for key in list(FILE_CACHE)}

    with open_cams(str(tmp_path / "day*.nc")) as ds:
        assert np.isfinite(ds.pm25.values).all()
        assert {"day0.nc", "day1.nc"} <= open_names()
    assert not {"day0.nc", "day1.nc"} & open_names()
    with open_geoscf(tmp_path / "g.nc") as ds:
        assert "g.nc" in open_names()
    assert "g.nc" not in open_names()


@pytest.mark.parametrize(
    "alignment,first",
    [("start", "2019-03-08T00:00"), ("end", "2019-03-08T01:00"), ("centre", "2019-03-08T00:30")],
)
def test_geoscf_half_past_stamps_are_aligned_as_asked(tmp_path, real_geoscf, alignment, first):
    ds = real_geoscf.isel(time=[0, 1], lat=slice(300, 330), lon=slice(600, 660))
    to_geoscf_netcdf(ds, tmp_path / "g.nc")
    assert pd.Timestamp(xr.open_dataset(tmp_path / "g.nc").time.values[0]).minute == 30
    out = open_geoscf(tmp_path / "g.nc", time_alignment=alignment)
    assert out.time.values[0] == np.datetime64(first)
    assert alignment in out.attrs["time_alignment"]
    np.testing.assert_array_equal(out.pm25.values, ds.pm25.values)


def test_geoscf_instant_files_keep_their_times(tmp_path, real_geoscf):
    ds = real_geoscf.isel(time=[0, 1], lat=slice(300, 330), lon=slice(600, 660))
    to_geoscf_netcdf(ds, tmp_path / "g.nc", stamp="on-the-hour")
    np.testing.assert_array_equal(open_geoscf(tmp_path / "g.nc").time.values, ds.time.values)


def test_geoscf_file_in_tiles_reads_back_the_same(tmp_path, real_geoscf):
    ds = real_geoscf.isel(time=[0, 1], lat=slice(300, 330), lon=slice(600, 660))
    to_geoscf_netcdf(ds, tmp_path / "g.nc", tile=(16, 25))
    with xr.open_dataset(tmp_path / "g.nc") as raw:
        assert raw["PM25_RH35_GCC"].encoding["chunksizes"] == (1, 16, 25)
    np.testing.assert_array_equal(open_geoscf(tmp_path / "g.nc").pm25.values, ds.pm25.values)


def test_mat_files_in_the_authors_layout(tmp_path, real_geoscf, cams):
    for hour, frame in zip((15, 18, 21, 24), cams.pm25.values, strict=True):
        scipy.io.savemat(tmp_path / f"12_31_{hour}.mat", {"data": frame[::-1].astype("float64") * 1e-9})
    ds = open_mat(sorted(tmp_path.glob("12_31_*.mat")), year=2019)
    np.testing.assert_array_equal(ds.time.values, cams.time.values)  # "24" is 00 UTC next day
    np.testing.assert_allclose(ds.pm25.values, cams.pm25.values, rtol=1e-6)
    scipy.io.savemat(tmp_path / "01.mat", {"data": real_geoscf.pm25.values[0][::-1].astype("float64")})
    with pytest.raises(DeepcamsError, match="does not encode a time"):
        open_mat(tmp_path / "01.mat", year=2019)
    g = open_mat(tmp_path / "01.mat", times=["2019-03-08T00"])
    np.testing.assert_array_equal(g.pm25.values, real_geoscf.pm25.values[:1])


def test_readers_reject_bad_files_with_clear_errors(tmp_path, cams):
    (tmp_path / "text.nc").write_text("not a netcdf file")
    with pytest.raises(DeepcamsError, match="not a NetCDF file"):
        open_cams(tmp_path / "text.nc")
    to_cams_netcdf(cams, tmp_path / "good.nc")
    data = (tmp_path / "good.nc").read_bytes()
    (tmp_path / "cut.nc").write_bytes(data[: len(data) // 2])
    with pytest.raises(DeepcamsError, match="cut.nc"):
        open_cams(tmp_path / "cut.nc")
    with pytest.raises(DeepcamsError, match="'PM25_RH35_GCC' not found"):
        open_geoscf(tmp_path / "good.nc")
    with pytest.raises(DeepcamsError, match="no such file"):
        open_cams(tmp_path / "missing.nc")


def test_writers_are_atomic(tmp_path, cams):
    target = tmp_path / "out.nc"

    def fail_on_last_frame(block, block_info=None):
        if block_info[0]["chunk-location"][0] == cams.sizes["time"] - 1:
            raise RuntimeError("disk full")
        return block

    bad = cams.chunk({"time": 1})
    bad["pm25"] = bad.pm25.copy(data=bad.pm25.data.map_blocks(fail_on_last_frame, dtype="float32"))
    for write, name in ((to_netcdf, "out.nc"), (to_zarr, "out.zarr")):
        with pytest.raises(RuntimeError, match="disk full"):  # the write fails midway ...
            write(bad, tmp_path / name)
        assert os.listdir(tmp_path) == []  # ... and leaves nothing behind
    to_netcdf(cams, target)
    np.testing.assert_array_equal(open_dataset(target).pm25.values, cams.pm25.values)
    to_zarr(cams, tmp_path / "out.zarr")
    np.testing.assert_array_equal(open_dataset(tmp_path / "out.zarr").pm25.values, cams.pm25.values)
    assert sorted(os.listdir(tmp_path)) == ["out.nc", "out.zarr"]


def test_packaged_real_sample(real_cams, real_geoscf):
    assert real_cams.pm25.shape == (4, 241, 480) and real_geoscf.pm25.shape == (4, 721, 1440)
    assert float(real_cams.pm25.max()) > 3000  # the Black Summer fires are kept, not clipped
    # the held-back bands stay NaN: lon [-120, -60) is columns 240..479
    assert np.isnan(real_geoscf.pm25.values[:, :, 240:480]).all()
    assert np.isfinite(real_geoscf.pm25.values[:, :, 480:720]).all()
    assert "Copernicus" in real_cams.attrs["attribution"]
    assert deepcams.open_sample_cams().time.values[-1] == np.datetime64("2020-01-01T00:00")


def test_grib_needs_the_optional_cfgrib_extra(tmp_path):
    try:
        import cfgrib  # noqa: F401

        pytest.skip("cfgrib is installed here")
    except ImportError:
        pass
    (tmp_path / "eac4.grib").write_bytes(b"GRIB" + b"\0" * 100)
    with pytest.raises(DeepcamsError, match=r"deepcams\[grib\]"):
        open_cams(tmp_path / "eac4.grib")


def test_netcdf3_truncated_inside_its_data_is_refused(tmp_path, cams):
    """The netCDF C library reads past the end of a cut NetCDF3 file as zeros: the header's offsets
    are checked against the file size instead."""
    to_cams_netcdf(cams, tmp_path / "good.nc")
    with xr.open_dataset(tmp_path / "good.nc") as ds:
        for fmt in ("NETCDF3_CLASSIC", "NETCDF3_64BIT"):
            ds.to_netcdf(tmp_path / f"{fmt}.nc", format=fmt, unlimited_dims=["valid_time"])
            data = (tmp_path / f"{fmt}.nc").read_bytes()
            assert netcdf_engine(tmp_path / f"{fmt}.nc") == "netcdf4"  # a whole file passes
            (tmp_path / "cut.nc").write_bytes(data[: len(data) - 100])
            with pytest.raises(DeepcamsError, match="cut.nc is truncated"):
                open_cams(tmp_path / "cut.nc")


def test_half_precision_is_read_as_float32_without_the_crashing_library(tmp_path, cams):
    to_cams_netcdf(cams, tmp_path / "good.nc")
    with xr.open_dataset(tmp_path / "good.nc") as ds:
        ds = ds.load()
    ds["pm2p5"] = ds.pm2p5 * 1e9  # in ug m-3: kg m-3 values lie below half precision's range
    ds["pm2p5"].attrs["units"] = "ug m-3"
    ds.to_netcdf(tmp_path / "half.nc", engine="h5netcdf", encoding={"pm2p5": {"dtype": "float16"}})
    assert netcdf_engine(tmp_path / "half.nc") == "h5netcdf"
    half = open_cams(tmp_path / "half.nc")
    assert half.pm25.dtype == np.float32
    np.testing.assert_allclose(half.pm25.values, cams.pm25.values, rtol=1e-3, atol=1e-4)


def test_probe_file_reports_instead_of_crashing(tmp_path, cams):
    to_cams_netcdf(cams, tmp_path / "good.nc")
    (tmp_path / "junk.nc").write_text("junk")
    assert probe_file(tmp_path / "good.nc") is None
    assert "not a NetCDF file" in probe_file(tmp_path / "junk.nc")


def test_an_existing_name_with_glob_characters_is_opened_as_it_is(tmp_path, cams):
    to_cams_netcdf(cams, tmp_path / "cams[1].nc")
    assert open_cams(tmp_path / "cams[1].nc").sizes == cams.sizes


def test_orphan_temporaries_of_dead_writers_are_removed_by_the_next_write(tmp_path, cams):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    host = socket.gethostname()
    dead = tmp_path / f".out.nc.{host}.{int(ended.stdout)}.abc123.tmp.nc"  # a writer killed by SIGKILL
    alive = tmp_path / f".out.nc.{host}.{os.getpid()}.def456.tmp.nc"  # a write in progress
    elsewhere = tmp_path / f".out.nc.otherhost.{int(ended.stdout)}.ghi789.tmp.nc"  # cannot tell: kept
    for path in (dead, alive, elsewhere):
        path.write_bytes(b"partial")
    to_netcdf(cams, tmp_path / "out.nc")
    assert sorted(os.listdir(tmp_path)) == sorted(["out.nc", alive.name, elsewhere.name])


def test_a_full_disk_is_one_clear_error_and_leaves_nothing(tmp_path, cams, monkeypatch):
    def full(self, *args, **kwargs):
        raise RuntimeError("NetCDF: HDF error")  # what netCDF4 raises on ENOSPC: no errno

    monkeypatch.setattr(xr.Dataset, "to_netcdf", full)
    monkeypatch.setattr(writers.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(64, 64, 0))
    with pytest.raises(DeepcamsError, match="no space left on"):
        to_netcdf(cams, tmp_path / "out.nc")
    assert os.listdir(tmp_path) == []
