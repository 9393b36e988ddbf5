"""The synthetic world: determinism, file conventions, realism against the real GEOS-CF frames, the CLI."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import deepcams
from deepcams.cli import main
from deepcams.errors import DeepcamsError
from deepcams.grids import coarsen
from deepcams.synthetic import make_world, open_demo, write_demo
from deepcams.synthetic.demo import TRUTH_TILE
from deepcams.synthetic.realism import field_statistics

REGION = "70,20,85,32"  # northern India in March: cities, fires and the season's extreme wildfire site
TINY = "10,40,16,45"  # a few CAMS cells, for the cheap checks


@pytest.fixture(scope="session")
def region_world():
    return make_world(days=1, bbox=REGION, seed=3)


@pytest.fixture(scope="session")
def global_world():
    return make_world(days=1)


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory, region_world):
    return write_demo(tmp_path_factory.mktemp("demo"), days=1, bbox=REGION, seed=3)


def test_same_arguments_give_the_same_bytes(region_world):
    cams, truth = make_world(days=1, bbox=REGION, seed=3)
    assert truth["pm25"].values.tobytes() == region_world[1]["pm25"].values.tobytes()
    assert cams["pm25"].values.tobytes() == region_world[0]["pm25"].values.tobytes()
    _, other = make_world(days=1, bbox=TINY, seed=4)
    _, same_area = make_world(days=1, bbox=TINY, seed=5)
    assert not np.array_equal(other["pm25"].values, same_area["pm25"].values)


def test_layout_times_and_grids(region_world):
    cams, truth = region_world
    times = pd.DatetimeIndex(truth["time"].values)
    assert times[0] == pd.Timestamp("2024-03-01") and len(times) == 25
    assert (times[1:] - times[:-1] == pd.Timedelta(hours=1)).all()
    assert list(pd.DatetimeIndex(cams["time"].values)) == list(times[::3])
    assert truth["pm25"].dims == ("time", "lat", "lon") and truth["pm25"].attrs["units"] == "ug m-3"
    assert truth.sizes["lat"] == 3 * cams.sizes["lat"] and truth.sizes["lon"] == 3 * cams.sizes["lon"]
    assert deepcams.GEOSCF.contains(truth) and deepcams.CAMS.contains(cams)
    assert np.isfinite(truth["pm25"].values).all() and (truth["pm25"].values > 0).all()


def test_cams_file_in_cams_conventions(demo_files, region_world):
    cams_path, _ = demo_files
    with xr.open_dataset(cams_path) as raw:
        assert "pm2p5" in raw and raw["pm2p5"].dims == ("valid_time", "latitude", "longitude")
        assert raw["pm2p5"].attrs["units"] == "kg m**-3"
        assert (np.diff(raw["latitude"].values) < 0).all()
        lon = raw["longitude"].values
        assert (lon >= 0).all() and (lon < 360).all()
        assert 1e-12 < float(raw["pm2p5"].max()) < 1e-5  # kg m-3, not ug m-3
    read = deepcams.open_cams(cams_path).load()
    expected = region_world[0]
    np.testing.assert_allclose(read["pm25"].values, expected["pm25"].values, rtol=1e-6)
    np.testing.assert_array_equal(read["time"].values, expected["time"].values)
    np.testing.assert_allclose(read["lat"].values, expected["lat"].values)


def test_geoscf_file_in_geoscf_conventions(demo_files, region_world):
    _, geoscf_path = demo_files
    with xr.open_dataset(geoscf_path) as raw:
        assert "PM25_RH35_GCC" in raw and raw["PM25_RH35_GCC"].attrs["units"] == "ug m-3"
        stamps = pd.DatetimeIndex(raw["time"].values)
        assert (stamps.minute == 30).all() and stamps[0] == pd.Timestamp("2024-03-01T00:30")
        # stored in tiles of a frame, so that reading a region decompresses that region's tiles only
        shape = raw["PM25_RH35_GCC"].shape
        expected_chunks = [1, *(min(n, t) for n, t in zip(shape[1:], TRUTH_TILE, strict=True))]
        assert raw["PM25_RH35_GCC"].encoding["chunksizes"] == tuple(expected_chunks)
    read = deepcams.open_geoscf(geoscf_path).load()
    expected = region_world[1]
    np.testing.assert_array_equal(read["pm25"].values, expected["pm25"].values)
    np.testing.assert_array_equal(read["time"].values, expected["time"].values)


def test_statistics_close_to_the_real_frames(global_world, real_geoscf):
    """Distribution within a factor 2, spectral slope within 0.5, hour-to-hour correlation near real."""
    real = field_statistics(real_geoscf)
    synthetic = field_statistics(global_world[1], hours=(0, 1, 2, 3))
    for name in ("p50", "p90", "p99"):
        assert real[name] / 2 <= synthetic[name] <= real[name] * 2, (name, synthetic[name], real[name])
    assert abs(synthetic["spectral_slope"] - real["spectral_slope"]) <= 0.5
    assert 0.975 < real["hourly_correlation"] < 0.995  # the reference itself, as measured
    assert abs(synthetic["hourly_correlation"] - real["hourly_correlation"]) <= 0.03
    assert synthetic["hourly_correlation"] < 0.999  # frames do change from hour to hour


def test_land_sources_and_clean_poles(global_world):
    truth = global_world[1]["pm25"].isel(time=0)
    polar = float(truth.sel(lat=slice(-90, -70)).median())
    indo_gangetic = float(truth.sel(lat=slice(24, 30), lon=slice(75, 88)).median())
    sahara = float(truth.sel(lat=slice(15, 30), lon=slice(-10, 30)).median())
    assert polar < 2.0 and indo_gangetic > 10 * polar and sahara > 3 * polar


def test_extreme_wildfire_present(global_world, region_world):
    assert float(global_world[1]["pm25"].max()) > 1000.0
    assert float(region_world[1]["pm25"].max()) > 1000.0  # the season's fire site lies in the region
    assert "extreme wildfire near" in global_world[1].attrs["source_note"]


def test_exact_switch_gives_the_coarsened_truth():
    cams, truth = make_world(days=1, bbox=TINY, seed=2, exact=True)
    expected = coarsen(truth.isel(time=slice(None, None, 3)))
    np.testing.assert_array_equal(cams["pm25"].values, expected["pm25"].values)
    model_cams, _ = make_world(days=1, bbox=TINY, seed=2)
    ratio = model_cams["pm25"].values / expected["pm25"].values
    assert not np.allclose(ratio, 1.0, rtol=0.01)  # a different model ...
    assert 0.5 < np.median(ratio) < 2.0  # ... of the same world


def test_region_across_the_antimeridian_is_whole_cams_cells():
    cams, truth = make_world(days=1, bbox="178,-20,-178,-16", seed=1)
    lon = truth["lon"].values
    assert lon[0] > 0 and lon[-1] > 180 and (np.diff(lon) > 0).all()
    np.testing.assert_array_equal(coarsen(truth)["lon"].values, cams["lon"].values)


@pytest.mark.parametrize(
    "kwargs",
    [{"days": 0}, {"start": "2024-03-01T01:00"}, {"start": "not a date"}, {"seed": -1}, {"bbox": "1,2,3"}],
)
def test_bad_arguments_are_one_line_errors(kwargs):
    with pytest.raises(DeepcamsError):
        make_world(**{"bbox": TINY, **kwargs})


def test_cli_writes_both_files(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["sample", "demo", "-o", str(out), "--days", "1", "--bbox", TINY, "--seed", "7"]) == 0
    assert (out / "cams.nc").is_file() and (out / "geoscf.nc").is_file()
    assert "geoscf.nc" in capsys.readouterr().out
    cams = deepcams.open_cams(out / "cams.nc")
    assert cams.sizes["time"] == 9


def test_cli_bad_arguments_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "demo", "-o", str(tmp_path), "--bbox", "1,2,3"])
    assert exit_info.value.code == 2 and "error:" in capsys.readouterr().err
    assert main(["sample", "demo", "-o", str(tmp_path / "x"), "--start", "2024-03-01T01:00"]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_open_demo_caches_in_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPCAMS_CACHE_DIR", str(tmp_path))
    cams, truth = open_demo(days=1, bbox=TINY, seed=9)
    folders = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1 and {p.name for p in folders[0].iterdir()} == {"cams.nc", "geoscf.nc"}
    assert cams["pm25"].attrs["units"] == "ug m-3" and truth.sizes["time"] == 25

    def fail(*args, **kwargs):
        raise AssertionError("the cached demo was generated again")

    monkeypatch.setattr("deepcams.synthetic.demo.make_world", fail)
    again_cams, again_truth = open_demo(days=1, bbox=TINY, seed=9)
    np.testing.assert_array_equal(again_truth["pm25"].values, truth["pm25"].values)
    with pytest.raises(AssertionError):
        open_demo(days=1, bbox=TINY, seed=10)  # other arguments, other cache entry
