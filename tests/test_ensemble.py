"""The DeepCAMS deep ensemble: its summary variables, its run through the pipeline with the shipped members,
its scores (CRPS, spread-skill, rank histogram) and its command line."""

import contextlib
import io
import json
import subprocess

import numpy as np
import pytest
import scoringrules
import xarray as xr
from scipy.stats import norm

import deepcams
from deepcams.calibration import Calibration, fit, shipped_calibration
from deepcams.ensemble import summarize_members
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, coarsen
from deepcams.io.conventions import pm25_dataset
from deepcams.methods.spatial import block_means
from deepcams.metrics import ensemble_scores, member_scores, probabilistic_scores
from deepcams.models import member_weights, read_metadata
from deepcams.recipes import ENSEMBLE_SIZE

BOX = (
    "-45,-30,-30,-15"  # the real sample's held-out band (lon -60 .. 0) less the models' reach: Brazil's coast
)


def cli(*args) -> subprocess.CompletedProcess:
    """The CLI's main() in this process (the subprocess path of its flags is in test_hostile_inputs.py)."""
    from deepcams.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse exits on usage errors
            code = exc.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def _members(values: np.ndarray) -> xr.DataArray:
    n, t, h, w = values.shape
    grid = pm25_dataset(
        values[0], np.arange(t).astype("datetime64[h]"), np.arange(h) * 0.25, np.arange(w) * 0.25, {}
    )
    return xr.concat(
        [grid["pm25"].copy(data=v.astype("float32")) for v in values], dim="realization"
    ).assign_coords(realization=np.arange(n))


def test_summary_is_mean_spread_and_normal_quantiles_floored_at_zero():
    rng = np.random.default_rng(1)
    values = rng.gamma(2.0, 3.0, size=(5, 2, 4, 6))
    values[:, 0, 0, 0] = [0.0, 0.1, 0.0, 0.2, 3.0]  # wide spread near zero: the 5 % quantile is floored
    values[2, 1, 3, 5] = np.nan
    calibration = Calibration(2.0, 0.1)
    out = summarize_members(_members(values), quantiles=(0.05, 0.5, 0.95), calibration=calibration)
    pixel = values[:, 0, 1, 1]
    np.testing.assert_allclose(out["pm25"][0, 1, 1], pixel.mean(), rtol=1e-6)
    np.testing.assert_allclose(
        out["pm25_spread"][0, 1, 1], np.hypot(2.0 * pixel.std(ddof=1), 0.1 * pixel.mean()), rtol=1e-6
    )
    mean = values[:, 1, 2, 2].mean()
    spread = np.hypot(2.0 * values[:, 1, 2, 2].std(ddof=1), 0.1 * mean)
    expected = np.maximum(mean + norm.ppf([0.05, 0.5, 0.95]) * spread, 0)
    np.testing.assert_allclose(out["pm25_quantile"][:, 1, 2, 2], expected, rtol=1e-5)
    assert float(out["pm25_quantile"].sel(quantile=0.05)[0, 0, 0]) == 0.0
    for name in ("pm25", "pm25_spread", "pm25_quantile"):  # a member's gap is a gap of every summary
        assert np.isnan(out[name].values[..., 1, 3, 5]).all()
    assert out["pm25_spread"].attrs["units"] == "ug m-3"
    assert out["pm25_spread"].attrs["cell_methods"] == "realization: standard_deviation"
    assert "pm25_member" not in out
    with pytest.raises(DeepcamsError, match="at least 2 members"):
        summarize_members(_members(values[:1]))
    with pytest.raises(DeepcamsError, match="strictly between 0 and 1"):
        summarize_members(_members(values), quantiles=(0.0, 0.5))


def test_the_shipped_members_exist_and_differ_only_by_seed():
    for stage in ("tsr", "ssr"):
        metas = [read_metadata(member_weights(stage, k)) for k in range(ENSEMBLE_SIZE)]
        assert [m["training"]["seed"] for m in metas] == list(range(ENSEMBLE_SIZE))
        for meta in metas[1:]:
            assert meta["config"] == metas[0]["config"]
            assert meta["training"]["train_bands"] == metas[0]["training"]["train_bands"]
    shipped = shipped_calibration()
    assert shipped.spread_scale > 1 and shipped.mean_scale > 0 and "training bands" in shipped.fitted_on


def test_calibration_fit_recovers_the_errors_heteroscedastic_form():
    """Members whose mean errs by N(0, hypot(4 x spread, 0.05 x mean)): the fit finds those factors."""
    rng = np.random.default_rng(3)
    truth = rng.lognormal(1.0, 1.0, size=(2, 200, 200))
    spread = rng.uniform(0.01, 0.3, size=truth.shape)
    mean = truth + rng.normal(size=truth.shape) * np.hypot(4.0 * spread, 0.05 * truth)
    offsets = np.array([-1.0, 1.0])[:, None, None, None] * spread / np.sqrt(2)  # std ddof 1 = spread
    members = mean[None] + offsets
    samples = [(members[:, k], truth[k]) for k in range(2)]
    found = fit(samples, "synthetic")
    assert found.spread_scale == pytest.approx(4.0, rel=0.1)
    assert found.mean_scale == pytest.approx(0.05, rel=0.15)
    alone = fit(samples, "synthetic", mean_scale=False)
    assert alone.mean_scale == 0.0
    assert (
        ensemble_scores(members[:, 0], truth[0], found)["crps"]
        < (ensemble_scores(members[:, 0], truth[0], alone)["crps"])
    )
    with pytest.raises(DeepcamsError, match="finite number >= 0"):
        Calibration(-1.0, 0.0)


@pytest.fixture(scope="module")
def ensemble_run(simulated_cams):
    return deepcams.downscale(simulated_cams, "deepcams", ensemble=ENSEMBLE_SIZE, members=True, bbox=BOX)


def test_ensemble_members_conserve_mass_and_member_zero_is_the_shipped_pair(ensemble_run, simulated_cams):
    run = ensemble_run
    assert run.sizes["realization"] == ENSEMBLE_SIZE and run.sizes["time"] == 4
    # member 0 is the shipped S-SR with its own T-SR alone (`deepcams` averages the members' T-SR)
    single = deepcams.downscale(simulated_cams, deepcams.get_method("deepcams", tsr_members=1), bbox=BOX)
    np.testing.assert_array_equal(run["pm25_member"].isel(realization=0).values, single["pm25"].values)
    # at the input hours each member keeps its CAMS cells' means (the box's inner cells: whole 3 x 3
    # blocks), and so the mean does (between them, each keeps those of its own temporal stage)
    inner = run.isel(lat=slice(2, -2), lon=slice(2, -2)).sel(time=simulated_cams["time"])
    coarse = coarsen(inner[["pm25"]])
    cams = simulated_cams["pm25"].sel(lat=coarse["lat"], lon=coarse["lon"], time=coarse["time"])
    for k in range(ENSEMBLE_SIZE):
        member = inner["pm25_member"].isel(realization=k).values
        np.testing.assert_allclose(block_means(member), cams.values, rtol=2e-4, atol=1e-4)
    np.testing.assert_allclose(coarse["pm25"].values, cams.values, rtol=2e-4, atol=1e-4)
    # the members differ (independent weights), most where the field has detail
    assert float(run["pm25_spread"].mean()) > 1e-3
    assert run.attrs["method"] == "deepcams-ensemble" and run.attrs["ensemble_size"] == ENSEMBLE_SIZE
    assert len(run.attrs["ssr_weights_sha256"].split()) == ENSEMBLE_SIZE
    assert run.attrs["spread_scale"] == pytest.approx(shipped_calibration().spread_scale)
    assert run.attrs["mean_scale"] == pytest.approx(shipped_calibration().mean_scale)
    assert CAMS.step == 0.75


def test_ensemble_is_deterministic_on_the_cpu(ensemble_run, simulated_cams):
    again = deepcams.downscale(simulated_cams, "deepcams-ensemble", size=2, bbox=BOX)
    np.testing.assert_array_equal(
        again["pm25"].values, ensemble_run["pm25_member"].isel(realization=[0, 1]).mean("realization").values
    )


def test_ensemble_requests_that_make_no_sense_are_refused(simulated_cams):
    with pytest.raises(DeepcamsError, match="ensemble size must be 2 .. 5"):
        deepcams.downscale(simulated_cams, "deepcams", ensemble=1, bbox=BOX)
    with pytest.raises(DeepcamsError, match="ensemble size must be 2 .. 5"):
        deepcams.downscale(simulated_cams, "deepcams", ensemble=ENSEMBLE_SIZE + 1, bbox=BOX)
    with pytest.raises(DeepcamsError, match="members=True needs an ensemble"):
        deepcams.downscale(simulated_cams, "deepcams", members=True, bbox=BOX)
    with pytest.raises(DeepcamsError, match="not of 'bicubic-linear'"):
        deepcams.downscale(simulated_cams, "bicubic-linear", ensemble=3, bbox=BOX)


def test_crps_and_spread_skill_of_the_product(ensemble_run, real_geoscf):
    run = ensemble_run
    scores = probabilistic_scores(run, real_geoscf)
    point = deepcams.summarize(run, real_geoscf)
    # by hand with scoringrules on the same pixels
    truth = real_geoscf["pm25"].sel(lat=run["lat"], lon=run["lon"], time=run["time"]).values
    valid = np.isfinite(truth) & np.isfinite(run["pm25"].values)
    mean, sigma, obs = run["pm25"].values[valid], run["pm25_spread"].values[valid], truth[valid]
    crps = scoringrules.crps_normal(obs, mean, np.maximum(sigma, 1e-6)).mean()
    assert scores["crps"] == pytest.approx(crps, rel=1e-4)
    assert scores["spread_skill"] == pytest.approx(np.sqrt(np.mean(sigma**2)) / point["rmse"], rel=1e-4)
    # a point forecast's CRPS is its MAE
    single = run[["pm25"]].assign_attrs(run.attrs)
    assert probabilistic_scores(single, real_geoscf)["crps"] == pytest.approx(point["mae"], rel=1e-6)
    table = deepcams.compare({"ensemble": run, "deepcams": single}, real_geoscf)
    assert {"crps", "spread_skill"} <= set(table.columns)
    assert np.isnan(table.loc["deepcams", "spread_skill"])


def test_rank_histogram_is_flat_for_a_calibrated_ensemble_and_u_shaped_for_a_narrow_one():
    rng = np.random.default_rng(0)
    shape = (1, 40, 50)
    centre = rng.gamma(3.0, 5.0, size=shape)
    truth = pm25_dataset(
        centre + rng.normal(0, 2.0, shape),
        np.arange(1).astype("datetime64[h]"),
        np.arange(40) * 0.25,
        np.arange(50) * 0.25,
        {},
    )

    def product(width: float) -> xr.Dataset:
        members = centre[None] + rng.normal(0, width, (5, *shape))
        return summarize_members(_members(members), keep_members=True)

    fair = member_scores(product(2.0), truth)
    narrow = member_scores(product(0.3), truth)
    counts = np.array(fair["rank_histogram"])
    assert counts.sum() == 2000 and len(counts) == 6
    assert counts.min() > 0.7 * counts.mean()
    ends = np.array(narrow["rank_histogram"])[[0, -1]].sum() / narrow["n"]
    assert ends > 0.7  # the truth falls outside a too narrow ensemble
    assert 0.85 < fair["spread_skill_members"] < 1.15 and narrow["spread_skill_members"] < 0.3
    assert fair["crps_members"] < narrow["crps_members"]
    with pytest.raises(DeepcamsError, match="no members"):
        member_scores(product(1.0).drop_vars("pm25_member"), truth)


def test_cli_writes_and_scores_an_ensemble(tmp_path, simulated_cams, real_geoscf):
    cams_file, truth_file, out = tmp_path / "cams.nc", tmp_path / "truth.nc", tmp_path / "ens.nc"
    deepcams.to_netcdf(simulated_cams, cams_file)
    deepcams.to_netcdf(deepcams.select_region(real_geoscf, BOX), truth_file)
    done = cli(
        "downscale",
        cams_file,
        "-o",
        out,
        "--bbox",
        BOX,
        "--ensemble",
        3,
        "--members",
        "--quantiles",
        "0.1,0.9",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    with xr.open_dataset(out) as written:
        assert written.sizes["realization"] == 3
        np.testing.assert_allclose(written["quantile"].values, [0.1, 0.9])
        assert written["pm25_quantile"].attrs["units"] == "ug m-3"
    info = cli("info", out)
    assert info.returncode == 0 and "ensemble:  3 members" in info.stdout and "10%, 90%" in info.stdout
    scored = cli("evaluate", out, truth_file, "--json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["overall"]["crps"] > 0 and report["overall"]["spread_skill"] > 0
    assert sum(report["members"]["rank_histogram"]) == report["members"]["n"]
    for args, message in (
        (("--ensemble", 1), "ensemble size must be 2 .. 5"),
        (("--members",), "--members needs --ensemble N"),
        (("--ensemble", 2, "--quantiles", "0.5,1.5"), "strictly between 0 and 1"),
        (("--ensemble", 2, "--method", "bicubic-linear"), "not of 'bicubic-linear'"),
    ):
        bad = cli("downscale", cams_file, "-o", tmp_path / "bad.nc", "--bbox", BOX, *args, "-q")
        assert bad.returncode == 2 and message in bad.stderr and bad.stderr.count("\n") == 1, bad.stderr
        assert not (tmp_path / "bad.nc").exists()


def test_members_batched_in_one_call_give_each_members_own_run(real_cams):
    """The member-batched path (the default on CUDA) against the members run one by one, on the CPU: a
    day of real CAMS with the T-SR's context, a missing cell inside a box across the antimeridian."""
    cams = real_cams.copy(
        deep=True
    ).load()  # 4 frames: the middle interval has both neighbours, the network runs there
    cams["pm25"].loc[{"time": cams["time"][1], "lat": 0.0, "lon": 179.25}] = np.nan
    options = dict(bbox="170,-10,-170,10", ensemble=3, members=True, allow_nan=True)
    one_by_one = deepcams.downscale(cams, batch_members=False, **options)
    batched = deepcams.downscale(cams, batch_members=True, **options)
    assert (one_by_one.attrs["members_batched"], batched.attrs["members_batched"]) == ("no", "yes")
    for name in ("pm25_member", "pm25", "pm25_spread", "pm25_quantile"):
        expected, got = one_by_one[name].values, batched[name].values
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    assert np.isnan(batched["pm25_member"].values).any()  # the missing cell is inside the box
    members = batched["pm25_member"].values
    assert np.nanmax(np.abs(members[1] - members[0])) > 1e-3  # each member kept its own weights
    assert batched.attrs["conservation_relative_correction"] == pytest.approx(
        one_by_one.attrs["conservation_relative_correction"], rel=0.05
    )


def test_members_that_cannot_run_batched_run_one_by_one_with_a_warning(simulated_cams):
    method = deepcams.get_method("deepcams-ensemble", size=2, batch_members=True)

    def unsupported(*inputs):
        raise NotImplementedError("no batching rule here")

    method.batched.spatial.model.own = unsupported
    with pytest.warns(UserWarning, match="could not run batched .*running them one by one"):
        out = deepcams.downscale(simulated_cams, method, bbox=BOX)
    expected = deepcams.downscale(simulated_cams, "deepcams-ensemble", size=2, bbox=BOX)
    np.testing.assert_array_equal(out["pm25"].values, expected["pm25"].values)
    assert out.attrs["members_batched"] == "no"
