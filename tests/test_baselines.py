"""Interpolation baselines on the real sample and on fields with known answers."""

import numpy as np
import pytest

import deepcams
from deepcams import CAMS, GEOSCF, DeepcamsError, coarsen
from deepcams.io.conventions import pm25_dataset
from deepcams.methods.spatial import keys_kernel
from deepcams.methods.temporal import TemporalBaseline

VISIBLE = np.r_[0:240, 480:720, 960:1200]  # GEOS-CF columns of the visible longitude bands


def cams_field(values, hours=None):
    hours = np.arange(values.shape[0]) * 3 if hours is None else np.asarray(hours)
    time = np.datetime64("2024-01-01T00", "ns") + hours.astype("m8[h]")
    return pm25_dataset(values, time, CAMS.lat, CAMS.lon, {})


def test_bicubic_on_the_real_sample_reproduces_the_reference_accuracy(real_geoscf, simulated_cams):
    out = deepcams.downscale(simulated_cams.isel(time=[0]), "bicubic-linear", allow_nan=True)
    error = np.abs(out.pm25.values[0] - real_geoscf.pm25.values[0])[:, VISIBLE]
    assert np.nanmean(error) == pytest.approx(0.54, abs=0.01)  # the sample README's reference figure


def test_spatial_baselines_rank_as_expected_on_real_data(real_geoscf, simulated_cams):
    frame = simulated_cams.isel(time=[0])
    mae = {}
    for name in ("nearest", "bilinear", "bicubic", "conservative"):
        out = deepcams.downscale(frame, f"{name}-linear", allow_nan=True)
        mae[name] = np.nanmean(np.abs(out.pm25.values[0] - real_geoscf.pm25.values[0]))
    assert mae["conservative"] < mae["bicubic"] < mae["bilinear"] < mae["nearest"]


def test_conservative_block_means_equal_the_coarse_values(real_cams):
    out = deepcams.downscale(real_cams.isel(time=[0]), "conservative-linear")
    back = coarsen(out).pm25.values[0]
    np.testing.assert_allclose(back, real_cams.pm25.values[0], rtol=1e-5, atol=1e-4)


def test_interpolants_pass_through_the_coarse_values_and_are_periodic():
    rng = np.random.default_rng(1)
    values = rng.random((1, *CAMS.shape)).astype("float32") * 100
    for method in ("nearest-nearest", "bilinear-linear", "bicubic-linear"):
        out = deepcams.downscale(cams_field(values), method).pm25.values[0]
        np.testing.assert_allclose(out[::3, ::3], values[0], rtol=1e-5)  # CAMS node = GEOS-CF pixel (3i, 3j)
    # a smooth periodic field has no seam at the antimeridian
    lon = np.radians(CAMS.lon)
    smooth = (50 + 20 * np.sin(lon))[None, None, :] * np.ones((1, CAMS.nlat, 1), "float32")
    out = deepcams.downscale(cams_field(smooth.astype("float32")), "bicubic-linear").pm25.values[0]
    expected = 50 + 20 * np.sin(np.radians(GEOSCF.lon))
    np.testing.assert_allclose(out[360], expected, atol=2e-3)


def test_keys_kernel_is_the_a_minus_half_cubic():
    assert keys_kernel(np.array([0.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.0]
    assert keys_kernel(np.array([0.5]))[0] == pytest.approx(0.5625)
    assert keys_kernel(np.array([1.5]))[0] == pytest.approx(-0.0625)


def test_region_across_the_antimeridian_equals_the_global_run(real_cams):
    frame = real_cams.isel(time=[0])
    whole = deepcams.downscale(frame, "bicubic-linear")
    region = deepcams.downscale(frame, "bicubic-linear", bbox="170,-40,-170,-20")
    cut = deepcams.select_region(whole, "170,-40,-170,-20")
    np.testing.assert_allclose(region.pm25.values, cut.pm25.values, rtol=1e-6)
    assert region.lon.values[0] == 170 and region.lon.values[-1] == 190


def test_temporal_baselines_pass_through_inputs_and_fill_hours():
    frames = np.array([0.0, 3.0, 30.0, 31.0])[:, None].astype("float32")
    for name in ("nearest", "linear", "pchip", "cubic"):
        out = TemporalBaseline(name).interpolate(frames, 3)
        assert out.shape == (10, 1)
        np.testing.assert_array_equal(out[::3], frames)
    assert TemporalBaseline("linear").interpolate(frames, 3)[1, 0] == pytest.approx(1.0)
    assert TemporalBaseline("nearest").interpolate(frames, 3)[1:3, 0].tolist() == [0.0, 3.0]
    pchip = TemporalBaseline("pchip").interpolate(frames, 3)[:, 0]
    assert np.all(np.diff(pchip) >= 0)  # monotone data stay monotone: no overshoot


def test_cubic_in_time_follows_curvature_and_stays_non_negative():
    steps = np.arange(6, dtype="float64")
    frames = (2.0 + steps**2)[:, None].astype("float32")
    out = TemporalBaseline("cubic").interpolate(frames, 3)[:, 0]
    hours = np.arange(16) / 3
    interior = slice(3, 13)  # Keys cubic reproduces a quadratic exactly away from the extrapolated edges
    np.testing.assert_allclose(out[interior], 2.0 + hours[interior] ** 2, rtol=1e-5)
    linear = TemporalBaseline("linear").interpolate(frames, 3)[:, 0]
    assert np.abs(linear[interior] - (2.0 + hours[interior] ** 2)).max() > 0.1
    two = frames[:2]  # no neighbours: the linear edges make it linear interpolation exactly
    np.testing.assert_allclose(
        TemporalBaseline("cubic").interpolate(two, 3),
        TemporalBaseline("linear").interpolate(two, 3),
        rtol=1e-6,
    )
    spike = np.array([0.0, 0.0, 100.0, 0.0, 0.0])[:, None].astype("float32")
    assert TemporalBaseline("cubic").interpolate(spike, 3).min() >= 0.0  # overshoot below 0 is cut to 0


def test_downscale_output_is_hourly_from_first_to_last_input_inclusive(real_cams):
    out = deepcams.downscale(real_cams, "bicubic-linear", bbox="138,-39,153,-30")
    assert out.sizes["time"] == 10
    assert out.time.values[0] == real_cams.time.values[0] and out.time.values[-1] == real_cams.time.values[-1]
    np.testing.assert_allclose(
        out.pm25.values[3][::3, ::3],
        deepcams.select_region(real_cams, "138,-39,153,-30").pm25.values[1],
        rtol=1e-5,
    )
    assert out.pm25.max() > 1000  # the fire plume is not clipped
    assert out.attrs["method"] == "bicubic-linear"


def test_downscale_refuses_irregular_steps_nans_and_huge_requests(real_cams):
    irregular = real_cams.isel(time=[0, 1, 3])
    with pytest.raises(DeepcamsError, match="irregular"):
        deepcams.downscale(irregular, "bicubic-linear")
    holed = real_cams.copy(deep=True)
    holed.pm25[1, 10, 10] = np.nan
    with pytest.raises(DeepcamsError, match="NaN"):
        deepcams.downscale(holed, "bicubic-linear")
    import dask.array as da

    lazy = cams_field(np.zeros((1, *CAMS.shape), "float32"))  # a year of 3-hourly frames, never computed
    lazy = lazy.reindex(time=np.datetime64("2024-01-01", "ns") + np.arange(2920) * np.timedelta64(3, "h"))
    lazy["pm25"] = lazy.pm25.copy(data=da.zeros(lazy.pm25.shape, chunks=(8, -1, -1), dtype="float32"))
    with pytest.raises(DeepcamsError, match="too large"):
        deepcams.downscale(lazy, "bicubic-linear")


def test_regional_input_replicates_its_edge_for_the_halo_but_refuses_boxes_beyond_it(real_cams):
    regional = deepcams.select_region(real_cams.isel(time=[0, 1]), "135,-45,160,-25")
    inside = deepcams.downscale(regional, "bicubic-linear", bbox="135,-45,160,-25")
    assert inside.sizes["lon"] == 101 and np.isfinite(inside.pm25.values).all()
    whole = deepcams.select_region(
        deepcams.downscale(real_cams.isel(time=[0, 1]), "bicubic-linear"), "140,-40,155,-30"
    )
    cut = deepcams.select_region(inside, "140,-40,155,-30")  # away from the edge, as with global input
    np.testing.assert_allclose(cut.pm25.values, whole.pm25.values, rtol=1e-5)
    with pytest.raises(DeepcamsError, match="outside the data"):
        deepcams.downscale(regional, "bicubic-linear", bbox="130,-45,160,-25")
