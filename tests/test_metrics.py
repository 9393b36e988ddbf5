"""Metrics against values computed by hand."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

import deepcams
from deepcams.io.conventions import pm25_dataset
from deepcams.metrics import scores, ssim, ssim_frames


def test_scores_by_hand():
    truth = np.array([[1.0, 2.0], [3.0, 4.0]])
    pred = np.array([[2.0, 2.0], [3.0, 2.0]])  # errors +1, 0, 0, -2
    s = scores(pred, truth)
    assert s["rmse"] == pytest.approx(np.sqrt(5 / 4))
    assert s["mae"] == pytest.approx(3 / 4)
    assert s["bias"] == pytest.approx(-1 / 4)
    # Pearson R by hand: pred mean 2.25, truth mean 2.5
    dp, dt = pred.ravel() - 2.25, truth.ravel() - 2.5
    assert s["r"] == pytest.approx((dp * dt).sum() / np.sqrt((dp**2).sum() * (dt**2).sum()))
    assert s["psnr"] == pytest.approx(20 * np.log10(3 / np.sqrt(5 / 4)))
    assert s["n"] == 4


def test_scores_ignore_nan_pixels_and_weight_rows():
    truth = np.array([[1.0, np.nan], [3.0, 5.0]])
    pred = np.array([[2.0, 100.0], [3.0, np.nan]])
    s = scores(pred, truth)
    assert s["n"] == 2 and s["mae"] == pytest.approx(0.5)
    weighted = scores(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]]), weight=np.array([[3.0], [1.0]]))
    assert weighted["mae"] == pytest.approx((3 * 1 + 1 * 3) / 4)


def test_ssim_is_one_for_identical_frames_and_drops_with_noise():
    rng = np.random.default_rng(0)
    frame = rng.random((40, 50)) * 10
    assert ssim(frame, frame) == pytest.approx(1.0)
    noisy = frame + rng.normal(0, 2, frame.shape)
    assert ssim(noisy, frame) < 0.9
    holed = frame.copy()
    holed[5:10, 5:10] = np.nan
    assert ssim(holed, frame) == pytest.approx(1.0)


def reference_ssim(pred: np.ndarray, truth: np.ndarray) -> float:
    """Wang et al.'s SSIM of one frame written out plainly: mask-normalised Gaussian moments (sigma 1.5)."""
    valid = np.isfinite(pred) & np.isfinite(truth)
    if valid.sum() < 2 or np.ptp(truth[valid]) == 0:
        return np.nan
    mask = valid.astype(float)
    norm = np.maximum(gaussian_filter(mask, 1.5, mode="nearest"), 1e-12)

    def local(x):
        return gaussian_filter(np.where(valid, x, 0) * mask, 1.5, mode="nearest") / norm

    mp, mt = local(pred), local(truth)
    vp, vt, cov = local(pred**2) - mp**2, local(truth**2) - mt**2, local(pred * truth) - mp * mt
    c1, c2 = (0.01 * np.ptp(truth[valid])) ** 2, (0.03 * np.ptp(truth[valid])) ** 2
    index = (2 * mp * mt + c1) * (2 * cov + c2) / ((mp**2 + mt**2 + c1) * (vp + vt + c2))
    return float(index[valid].mean())


@pytest.mark.parametrize("shape", [(7, 30, 40), (9, 300, 400)])  # a block per thread; blocks of 2 frames
def test_ssim_frames_equal_each_frame_alone(shape):
    rng = np.random.default_rng(1)
    truth = rng.gamma(2.0, 10.0, shape)
    pred = truth + rng.normal(0, 5, shape)
    pred[1, 3:9, 4:12] = np.nan  # a gap in one frame
    truth[2] = 4.0  # a flat truth: undefined
    pred[3, :, :] = np.nan
    pred[3, 0, :1] = 1.0  # one valid pixel: undefined
    expected = [reference_ssim(p, t) for p, t in zip(pred, truth, strict=True)]
    got = ssim_frames(pred, truth)
    assert np.isnan(got[2]) and np.isnan(got[3])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert ssim(pred[1], truth[1]) == pytest.approx(expected[1], rel=1e-12)


def test_ssim_across_the_antimeridian_is_that_of_the_region_in_one_piece():
    """A region over 180 is scored in its own west-to-east order, not cut at the seam and re-joined."""
    rng = np.random.default_rng(2)
    lat, time = np.arange(-5.0, 5.01, 0.25), np.array(["2024-01-01T00"], "M8[ns]")
    truth_values = gaussian_filter(rng.gamma(2.0, 10.0, (1, lat.size, 81)), 2).astype("float32")
    pred_values = (truth_values + rng.normal(0, 1, truth_values.shape)).astype("float32")
    scored = {}
    for name, lon in {
        "over 180": np.arange(170.0, 190.01, 0.25),
        "in one piece": np.arange(0.0, 20.01, 0.25),
    }.items():
        truth = pm25_dataset(truth_values, time, lat, lon, {})
        pred = pm25_dataset(pred_values, time, lat, lon, {})
        scored[name] = deepcams.compare({"m": pred}, truth).loc["m"]
    assert scored["over 180"]["ssim"] == pytest.approx(scored["in one piece"]["ssim"], rel=1e-9)
    assert scored["over 180"]["rmse"] == pytest.approx(scored["in one piece"]["rmse"], rel=1e-6)


def test_evaluate_per_time_and_compare_table():
    lat, lon = np.arange(-1.0, 1.01, 0.25), np.arange(10.0, 12.0, 0.25)
    time = np.array(["2024-01-01T00", "2024-01-01T01"], "M8[ns]")
    truth_values = np.ones((2, lat.size, lon.size), "float32")
    truth = pm25_dataset(truth_values, time, lat, lon, {})
    pred = pm25_dataset(truth_values + np.array([0.0, 2.0], "float32")[:, None, None], time, lat, lon, {})
    per_time = deepcams.evaluate(pred, truth)
    assert per_time["rmse"].tolist() == pytest.approx([0.0, 2.0])
    table = deepcams.compare({"a": pred, "b": truth}, truth)
    assert table.loc["a", "bias"] == pytest.approx(1.0) and table.loc["b", "mae"] == 0
    assert table.loc["a", "rmse"] == pytest.approx(np.sqrt(2.0))


def test_compare_scores_every_method_on_the_same_pixels():
    lat, lon = np.arange(-1.0, 1.01, 0.25), np.arange(10.0, 12.0, 0.25)
    time = np.array(["2024-01-01T00"], "M8[ns]")
    truth = pm25_dataset(np.ones((1, lat.size, lon.size), "float32"), time, lat, lon, {})
    holed_values = np.full((1, lat.size, lon.size), 2.0, "float32")
    holed_values[0, 0, :] = np.nan
    holed = pm25_dataset(holed_values, time, lat, lon, {})
    table = deepcams.compare({"full": truth, "holed": holed}, truth)
    assert table.loc["full", "n"] == table.loc["holed", "n"] == (lat.size - 1) * lon.size
