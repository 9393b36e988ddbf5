"""The learned models: alignment, identity at input times, conservation, tiling, checkpoints, training,
and the shipped weights' skill on the real band they never saw."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

import deepcams
from deepcams.errors import DeepcamsError
from deepcams.grids import coarsen
from deepcams.methods import MassTally, get_method
from deepcams.methods.spatial import block_means
from deepcams.models import build_model, default_weights, load_checkpoint, read_metadata, save_checkpoint
from deepcams.models.inference import deepcams_method
from deepcams.models.transform import AsinhTransform
from deepcams.recipes import VAL_BAND

HELD_OUT_PATCH = "-50,-30,-10,30"  # inside the validation band lon [-60, 0): never trained on


def _randomize(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Give the zero-initialised last layers weights, so the tiny models do more than interpolate."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if not p.abs().sum():
                p.copy_(0.05 * torch.randn(p.shape, generator=generator))
    return model


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    """Small untrained checkpoints for both stages (fast; the tests check behaviour, not skill)."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    tsr = _randomize(build_model("tsr-flow", {"channels": 8, "flow_layers": 2, "refine_layers": 2}), 1)
    ssr = _randomize(build_model("ssr-pixel-attention", {"channels": 8, "blocks": 1}), 2)
    transform = AsinhTransform(1.0)
    return {
        "tsr_weights": save_checkpoint(folder / "tsr.safetensors", tsr, "tsr-flow", transform, {"note": "t"}),
        "ssr_weights": save_checkpoint(folder / "ssr.safetensors", ssr, "ssr-pixel-attention", transform),
    }


def test_spatial_network_is_aligned_with_the_grids():
    """Untrained (residual zero), fine pixel 3i+1 is the centre of coarse cell i and keeps its value."""
    model = build_model("ssr-pixel-attention", {"channels": 8, "blocks": 1}).eval()
    x = torch.rand(2, 1, 10, 12)
    with torch.no_grad():
        y = model(x)
    assert y.shape == (2, 1, 30, 36)
    torch.testing.assert_close(y[..., 1::3, 1::3], x, atol=1e-5, rtol=0)


def test_two_stage_pipeline_shapes_on_both_grids(tiny_weights, real_cams):
    bbox = "100,-20,140,10"
    ours = deepcams.downscale(real_cams, "deepcams", bbox=bbox, **tiny_weights)
    reference = deepcams.downscale(real_cams, "bicubic-linear", bbox=bbox)
    assert ours["pm25"].shape == reference["pm25"].shape == (10, 121, 161)
    for name in ("time", "lat", "lon"):
        np.testing.assert_array_equal(ours[name].values, reference[name].values)
    assert float(ours["pm25"].min()) >= 0.0
    # on the CAMS grid the output's block means are the (interpolated) CAMS values
    coarse = deepcams.select_region(real_cams, "100.5,-19.5,139.5,9")
    back = coarsen(deepcams.select_region(ours, "100.25,-19.75,139.75,9.25").isel(time=[0, 3, 6, 9]))
    np.testing.assert_allclose(back["pm25"].values, coarse["pm25"].values, rtol=1e-4, atol=1e-6)
    assert ours.attrs["method"] == "deepcams" and ours.attrs["conservation"] == "on"
    assert ours.attrs["device"] == "cpu"
    assert len(ours.attrs["ssr_weights_sha256"]) == 64


def test_a_shared_method_keeps_no_state_between_runs(tiny_weights, real_cams):
    """The dashboard caches method objects: a run's measured numbers come with its output, not the method."""
    method = deepcams_method(**tiny_weights)
    first = deepcams.downscale(real_cams, method, bbox="100,-20,140,10")
    deepcams.downscale(real_cams, method, bbox="-60,-40,20,40")  # another user's run in between
    again = deepcams.downscale(real_cams, method, bbox="100,-20,140,10")
    assert first.attrs["conservation_relative_correction"] > 0
    assert again.attrs == first.attrs
    assert "conservation_relative_correction" not in method.attrs


def test_identity_at_input_times_and_non_negative(tiny_weights, real_cams):
    method = deepcams_method(**tiny_weights)
    frames = np.clip(real_cams["pm25"].values[:, 100:140, 300:360], 0, None)
    hourly = method.temporal.interpolate(frames, 3)
    assert hourly.shape == (10, 40, 60)
    np.testing.assert_array_equal(hourly[::3], frames)
    assert hourly.min() >= 0
    linear = deepcams.get_method("bicubic-linear").temporal.interpolate(frames, 3)
    assert not np.allclose(hourly[1], linear[1])  # the network does act between input times


def test_conservation_keeps_block_means_and_sign(tiny_weights):
    rng = np.random.default_rng(0)
    # 0.01 to 3000 ug m-3 (wildfire values): nothing clipped, every block mean kept
    coarse = np.exp(rng.uniform(np.log(0.01), np.log(3000), size=(2, 20, 24))).astype("float32")
    method = deepcams_method(**tiny_weights)
    tally = MassTally()
    fine = method.spatial.upsample(coarse, tally=tally)
    assert fine.min() >= 0 and fine.max() > 2000
    np.testing.assert_allclose(block_means(fine), coarse, rtol=2e-6)
    assert tally.relative > 0
    free = deepcams_method(conserve=False, **tiny_weights).spatial.upsample(coarse)
    assert free.min() >= 0
    assert not np.allclose(block_means(free), coarse, rtol=1e-3)
    # rows beyond a pole (weight 0) take no part in the block means
    weights = np.ones(60)
    weights[:1] = 0
    fine = method.spatial.upsample(coarse, weights)
    np.testing.assert_allclose(block_means(fine, weights), coarse, rtol=2e-6)


def test_tiled_equals_untiled(tiny_weights):
    coarse = np.random.default_rng(1).gamma(1.0, 20.0, size=(2, 30, 40)).astype("float32")
    whole = deepcams_method(tile=512, **tiny_weights).spatial.upsample(coarse)
    tiled = deepcams_method(tile=8, **tiny_weights).spatial.upsample(coarse)
    # equal up to float32 rounding (the convolutions sum in another order at other offsets)
    np.testing.assert_allclose(tiled, whole, rtol=1e-4, atol=1e-5 * whole.max())


def test_no_seam_across_the_antimeridian(tiny_weights, real_cams):
    """A region crossing 180 deg equals the same pixels of the global (tiled) run."""
    frame = real_cams.isel(time=[0])
    world = deepcams.downscale(frame, "deepcams", tile=64, **tiny_weights)
    region = deepcams.downscale(frame, "deepcams", bbox="170,-10,-170,10", tile=16, **tiny_weights)
    wrapped = (region["lon"].values + 180) % 360 - 180
    expected = world["pm25"].sel(lat=region["lat"].values, lon=wrapped).values
    np.testing.assert_allclose(region["pm25"].values, expected, rtol=1e-4, atol=1e-5 * expected.max())


def test_deterministic_on_cpu(tiny_weights, real_cams):
    runs = [deepcams.downscale(real_cams, "deepcams", bbox="0,0,20,20", **tiny_weights) for _ in range(2)]
    np.testing.assert_array_equal(runs[0]["pm25"].values, runs[1]["pm25"].values)


def test_checkpoint_round_trip_and_mismatch(tiny_weights, tmp_path):
    model, transform, meta = load_checkpoint(tiny_weights["tsr_weights"], stage="tsr")
    assert meta["architecture"] == "tsr-flow"
    assert meta["config"] == {"channels": 8, "flow_layers": 2, "refine_layers": 2, "max_flow": 1.5}
    assert meta["transform"] == {"name": "asinh", "scale": 1.0} and meta["note"] == "t"
    assert meta["deepcams_version"] == deepcams.__version__
    assert read_metadata(tiny_weights["tsr_weights"]) == meta
    again = tmp_path / "again.safetensors"
    save_checkpoint(again, model, "tsr-flow", transform, {"note": "t"})
    reloaded, _, _ = load_checkpoint(again)
    frames, base, solar = torch.rand(1, 4, 16, 16), torch.rand(1, 1, 16, 16), torch.rand(1, 2, 16, 16)
    t = torch.tensor([0.5])
    with torch.no_grad():
        torch.testing.assert_close(model(frames, base, t, solar), reloaded(frames, base, t, solar))
    with pytest.raises(DeepcamsError, match="holds architecture 'tsr-flow', expected 'ssr-pixel-attention'"):
        load_checkpoint(again, architecture="ssr-pixel-attention")
    with pytest.raises(DeepcamsError, match="expected a 'ssr' model"):
        deepcams_method(ssr_weights=again, tsr_weights=again)
    # weights that do not fit the stated hyperparameters
    wrong = build_model("tsr-flow", {"channels": 4, "flow_layers": 2, "refine_layers": 2})
    wrong.config = {"channels": 8, "flow_layers": 2, "refine_layers": 2}
    save_checkpoint(tmp_path / "wrong.safetensors", wrong, "tsr-flow", transform)
    with pytest.raises(DeepcamsError, match="do not fit"):
        load_checkpoint(tmp_path / "wrong.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x80\x04not a checkpoint")
    with pytest.raises(DeepcamsError, match="not a readable safetensors"):
        load_checkpoint(tmp_path / "junk.safetensors")


def test_short_training_lowers_validation_loss(real_geoscf, tmp_path):
    from deepcams.models.training import TrainConfig, band_fields, train

    small = real_geoscf.isel(time=[0, 1])
    train_fields = band_fields(small, [(60.0, 90.0)], "real sample")
    val_fields = band_fields(small, [(90.0, 110.0)], "real sample")
    config = TrainConfig(
        "ssr",
        tmp_path / "run",
        epochs=2,
        steps=12,
        batch=6,
        patch=24,
        lr=3e-3,
        progress=False,
        architecture="ssr-pixel-attention",
        model_config={"channels": 8, "blocks": 1},
    )
    train(config, train_fields, val_fields)
    log = np.genfromtxt(tmp_path / "run" / "log.csv", delimiter=",", names=True)
    assert log["epoch"].tolist() == [0, 1, 2]
    assert log["val_loss"][-1] < log["val_loss"][0]
    assert np.all(log["bicubic_mae"] == log["bicubic_mae"][0])  # baseline on the same validation data
    with pytest.raises(DeepcamsError, match="already holds a training run"):
        train(config, train_fields, val_fields)
    config.resume, config.steps = True, 13
    with pytest.raises(DeepcamsError, match="other data or settings"):
        train(config, train_fields, val_fields)
    config.steps, config.rmse_weight = 12, 0.5  # another loss is another run
    with pytest.raises(DeepcamsError, match="other data or settings"):
        train(config, train_fields, val_fields)
    config.rmse_weight, config.epochs = 0.0, 3
    meta = train(config, train_fields, val_fields)
    assert np.genfromtxt(tmp_path / "run" / "log.csv", delimiter=",", names=True)["epoch"][-1] == 3
    assert meta["training"]["epochs"] == 3 and meta["validation"]["scores"]["val_loss"] == log_last_loss(
        tmp_path
    )


def log_last_loss(folder) -> float:
    log = np.genfromtxt(folder / "run" / "log.csv", delimiter=",", names=True)
    return pytest.approx(float(log["val_loss"][-1]), rel=1e-5)


def test_cli_train_defaults_are_the_recipe():
    """`deepcams train STAGE` with no options is `Recipe(STAGE)` on the shipped split, as TrainConfig is."""
    from dataclasses import asdict, fields, replace
    from pathlib import Path

    from deepcams.cli import build_parser
    from deepcams.models.training import DEFAULTS, SHIPPED_SPLIT, Recipe, TrainConfig, train_config

    args = build_parser().parse_args(["train", "tsr", "--out", "run"])
    recipe = Recipe("tsr")
    assert {f.name: getattr(args, f.name) for f in fields(DEFAULTS)} == asdict(DEFAULTS)
    assert recipe.optimisation == DEFAULTS
    assert (tuple(args.data), args.seed) == (recipe.data, recipe.seed)
    assert (args.synthetic_share, args.synthetic_days) == (recipe.synthetic_share, recipe.synthetic_days)
    assert args.synthetic_seed == recipe.synthetic_seed != 0  # never the demo world's seed
    assert args.train_bands is None and args.val_band == SHIPPED_SPLIT.val_band
    assert replace(train_config(recipe, "run"), description={}) == TrainConfig("tsr", Path("run"))


def test_cli_refuses_overlapping_bands(tmp_path, capsys):
    from deepcams.cli import main

    code = main(["train", "ssr", "--out", str(tmp_path / "r"), "--train-band=-70,-10", "--quiet"])
    assert code == 2
    assert "overlaps the validation band" in capsys.readouterr().err


@pytest.mark.skipif(not default_weights("ssr").is_file(), reason="shipped weights not built (make weights)")
def test_shipped_weights_beat_bicubic_on_held_out_real_band(real_geoscf):
    meta = read_metadata(default_weights("ssr"))
    assert meta["training"]["val_band"] == list(VAL_BAND)
    truth = deepcams.select_region(real_geoscf.isel(time=[0]), HELD_OUT_PATCH)
    coarse = coarsen(real_geoscf.isel(time=[0]))
    ours = deepcams.downscale(coarse, "deepcams", bbox=HELD_OUT_PATCH)
    bicubic = deepcams.downscale(coarse, "bicubic-linear", bbox=HELD_OUT_PATCH)
    table = deepcams.compare({"deepcams": ours, "bicubic": bicubic}, truth)
    assert table.loc["deepcams", "mae"] < 0.95 * table.loc["bicubic", "mae"]
    assert table.loc["deepcams", "rmse"] < table.loc["bicubic", "rmse"]
    assert ours.attrs["ssr_weights_sha256"] == get_method("deepcams").attrs["ssr_weights_sha256"]


def test_cli_train_writes_weights_with_the_split(tmp_path):
    from deepcams.cli import main

    export = tmp_path / "ssr.safetensors"
    args = ["train", "ssr", "--data", "sample", "--epochs", "1", "--steps", "2", "--batch", "2", "--patch", "16",
            "--channels", "8", "--out", str(tmp_path / "run"), "--export", str(export), "--quiet"]  # fmt: skip
    assert main(args) == 0
    meta = read_metadata(export)
    assert meta["training"]["val_band"] == list(VAL_BAND)
    assert "validate on lon [-60, 0)" in meta["training"]["split"]
    assert meta["validation"]["sources"] == ["real GEOS-CF sample lon -60..0"]
    assert {"model_mae", "bicubic_mae"} <= set(meta["validation"]["scores"])
    assert export.with_suffix(".json").is_file()
    deepcams_method(ssr_weights=export)  # usable as the spatial stage at once


@pytest.mark.parametrize(
    ("architecture", "config"),
    [("ssr-pixel-attention", {"channels": 8, "blocks": 2}), ("ssr-abpn", {"channels": 8, "stages": 2})],
)
def test_spatial_radius_is_the_receptive_field(architecture, config):
    """The pipeline's halo is the model's radius: it must cover the receptive field, and not waste."""
    model = _randomize(build_model(architecture, config), 3).eval()
    x = torch.rand(1, 1, 41, 41)
    bumped = x.clone()
    bumped[0, 0, 20, 20] += 1.0
    with torch.no_grad():
        changed = (model(bumped) - model(x)).abs()[0, 0] > 0
    rows = torch.nonzero(changed.any(dim=1)).flatten()
    reach = max(60 - int(rows.min()), int(rows.max()) - 62)  # fine pixels beyond coarse cell 20's block
    assert -(-reach // 3) == model.radius


def test_abpn_reference_is_aligned_and_tiles_without_seams(tmp_path):
    model = build_model("ssr-abpn", {"channels": 8, "stages": 2}).eval()
    x = torch.rand(2, 1, 10, 12)
    with torch.no_grad():
        torch.testing.assert_close(model(x)[..., 1::3, 1::3], x, atol=1e-5, rtol=0)  # untrained: bicubic
    path = save_checkpoint(
        tmp_path / "abpn.safetensors", _randomize(model, 4), "ssr-abpn", AsinhTransform(1.0)
    )
    coarse = np.random.default_rng(2).gamma(1.0, 20.0, size=(1, 30, 40)).astype("float32")
    whole = deepcams_method(tile=512, ssr_weights=path).spatial.upsample(coarse)
    tiled = deepcams_method(tile=8, ssr_weights=path).spatial.upsample(coarse)
    np.testing.assert_allclose(tiled, whole, rtol=1e-4, atol=1e-5 * whole.max())
    np.testing.assert_allclose(block_means(whole), coarse, rtol=2e-6)


def test_sources_are_mixed_by_share_not_by_size():
    from deepcams.models.training import Field, mix_by_share, sample_spatial

    def source(value: float, frames: int) -> Field:
        coarse = np.full((frames, 12, 12), value, dtype="float32")
        fine = np.full((frames, 36, 36), value, dtype="float32")
        return Field(f"{value:g}", coarse, fine, np.arange(frames, dtype=float), np.zeros(12), 0.0)

    small, large = source(1.0, 1), source(2.0, 50)  # 50 times more synthetic-like frames
    fields = mix_by_share([([small], 0.7), ([large], 0.3)])
    x, _, _ = sample_spatial(fields, np.random.default_rng(0), 400, 8)
    share_small = float((x[:, 0, 0, 0] == 1.0).float().mean())
    assert share_small == pytest.approx(0.7, abs=0.07)


def test_cli_trains_another_architecture_on_real_and_synthetic_data(tmp_path, capsys):
    from deepcams.cli import main

    export = tmp_path / "abpn.safetensors"
    args = ["train", "ssr", "--data", "sample", "synthetic", "--synthetic-days", "1", "--synthetic-share", "0.3",
            "--architecture", "ssr-abpn", "--channels", "4", "--hyper", "stages=1", "--epochs", "1",
            "--steps", "1", "--batch", "2", "--patch", "16", "--out", str(tmp_path / "run"),
            "--export", str(export), "--quiet"]  # fmt: skip
    assert main(args) == 0
    meta = read_metadata(export)
    assert meta["architecture"] == "ssr-abpn" and meta["config"] == {"channels": 4, "stages": 1}
    assert meta["training"]["synthetic_world"]["share_of_patches"] == 0.3
    assert "synthetic world lon -180..180" in meta["training"]["sources"]
    assert meta["validation"]["sources"] == ["real GEOS-CF sample lon -60..0"]  # scored on real data only
    wrong = ["train", "ssr", "--architecture", "tsr-flow", "--out", str(tmp_path / "w"), "--quiet"]
    assert main(wrong) == 2
    assert "is not a ssr architecture" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["train", "ssr", "--synthetic-share", "2", "--out", str(tmp_path / "w"), "--quiet"])
    assert exited.value.code == 2
    assert "a share is a number from 0 to 1" in capsys.readouterr().err


def test_cost_counts_every_convolution():
    from deepcams.models.cost import BICUBIC_FLOPS, spatial_flops_per_pixel, temporal_flops_per_cell

    model = build_model("ssr-pixel-attention", {"channels": 8, "blocks": 1})
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    macs_per_cell = sum(m.weight.numel() for m in convs)  # stride 1: one kernel per coarse cell
    assert spatial_flops_per_pixel(model) == pytest.approx(2 * macs_per_cell / 9 + BICUBIC_FLOPS)
    small, large = build_model("tsr-flow", {"channels": 8}), build_model("tsr-flow", {"channels": 16})
    assert 0 < temporal_flops_per_cell(small) < temporal_flops_per_cell(large)


def test_warp_positions_keep_float32_precision_under_half_precision():
    """On CUDA the networks run under float16 autocast; sub-cell motion must survive on a 480-column grid."""
    from deepcams.models.tsr import warp

    columns = torch.arange(480, dtype=torch.float32)
    field = torch.sin(2 * torch.pi * columns / 16).expand(1, 1, 8, 480).contiguous()
    flow = torch.zeros(1, 2, 8, 480)
    flow[:, 0] = 0.1  # a tenth of a cell eastward
    exact = warp(field, flow)
    half = warp(field.half(), flow.half())
    assert half.dtype == torch.float16
    torch.testing.assert_close(half.float()[..., 1:-1], exact[..., 1:-1], atol=3e-3, rtol=0)
    assert (exact - field).abs().max() > 0.03  # the motion itself is well above that tolerance


def test_temporal_network_reaches_exactly_its_radius():
    """Changing one input cell changes the output only within `radius` cells: the NaN rule relies on it."""
    model = _randomize(
        build_model("tsr-flow", {"channels": 8, "flow_layers": 2, "refine_layers": 2}), 3
    ).eval()
    frames = torch.rand(1, 4, 31, 31)
    base, solar, t = frames[:, 1:2].clone(), torch.rand(1, 2, 31, 31), torch.full((1,), 1 / 3)
    poked = frames.clone()
    poked[0, 2, 15, 15] += 1.0
    with torch.no_grad():
        change = (model(poked, base, t, solar) - model(frames, base, t, solar)).abs()[0, 0]
    rows, cols = np.nonzero(change.numpy() > 0)
    assert rows.size and max(np.abs(rows - 15).max(), np.abs(cols - 15).max()) <= model.radius


def test_hours_of_one_interval_share_its_motion_with_the_same_result():
    """`interval` computes each interval's motion once for its hours: the same output as one row of
    frames per hour (what training feeds)."""
    model = _randomize(
        build_model("tsr-flow", {"channels": 8, "flow_layers": 2, "refine_layers": 2}), 3
    ).eval()
    frames = torch.rand(2, 4, 19, 23)
    interval = torch.tensor([0, 0, 1, 1])
    base, solar = torch.rand(4, 1, 19, 23), torch.rand(4, 2, 19, 23)
    t = torch.tensor([1 / 3, 2 / 3, 1 / 3, 2 / 3])
    with torch.no_grad():
        shared = model(frames, base, t, solar, interval)
        each = model(frames[interval], base, t, solar)
    torch.testing.assert_close(shared, each, rtol=0, atol=1e-6)
    assert not torch.equal(shared[0], shared[1])  # the hours differ: t reaches the network


def test_untrained_temporal_network_is_the_cubic_baseline(real_cams, tmp_path):
    """The network corrects Keys cubic interpolation: with its last layers at zero it is that baseline."""
    model = build_model("tsr-flow", {"channels": 8, "flow_layers": 2, "refine_layers": 2})
    path = save_checkpoint(tmp_path / "zero.safetensors", model, "tsr-flow", AsinhTransform(1.0))
    frames = np.clip(real_cams["pm25"].values[:, 100:140, 300:360], 0, None)
    ours = deepcams_method(tsr_weights=path).temporal.interpolate(frames, 3, real_cams.time.values)
    cubic = get_method("bicubic-cubic").temporal.interpolate(frames, 3)
    np.testing.assert_allclose(ours, cubic, rtol=1e-5, atol=1e-6)


def test_a_missing_input_cell_spreads_no_further_than_the_cubic_base(tiny_weights, real_cams):
    frames = np.clip(real_cams["pm25"].values[:, 100:140, 300:360], 0, None).copy()
    frames[1, 20, 30] = np.nan
    hourly = deepcams_method(**tiny_weights).temporal.interpolate(frames, 3, real_cams.time.values)
    missing = np.isnan(hourly)
    assert missing[:, 20, 30].any()
    missing[:, 20, 30] = False
    assert not missing.any()  # every other cell of every hour is valid
    clean = np.clip(real_cams["pm25"].values[:, 100:140, 300:360], 0, None)
    far = deepcams_method(**tiny_weights).temporal.interpolate(clean, 3, real_cams.time.values)
    np.testing.assert_allclose(hourly[:, :5], far[:, :5], rtol=1e-6)  # far from the gap: the network's own


def test_local_solar_time_is_continuous_across_the_antimeridian():
    from deepcams.models.inference import solar_time_features

    east, west = (
        solar_time_features(6.0, np.array([179.25, 180.0]), 1),
        solar_time_features(6.0, np.array([-180.75, -180.0]), 1),
    )
    np.testing.assert_allclose(east, west, atol=1e-6)
    noon = solar_time_features(6.0, np.array([90.0]), 1)[:, 0, 0]  # 06 UTC at 90 E is local noon
    np.testing.assert_allclose(noon, [0.0, -1.0], atol=1e-6)


def test_context_frames_beyond_the_selection_are_used(real_cams):
    """With neighbours present, a sub-range downscales exactly as the same hours of the whole run."""
    whole = deepcams.downscale(real_cams, "bicubic-cubic", bbox="140,-40,155,-30")
    part = deepcams.downscale(
        real_cams, "bicubic-cubic", bbox="140,-40,155,-30", start="2019-12-31T18", end="2019-12-31T21"
    )
    np.testing.assert_allclose(part.pm25.values, whole.pm25.sel(time=part.time).values, rtol=1e-6)


def test_gaps_stay_small_on_the_real_sample_with_its_nan_bands(real_geoscf):
    """The real sample's held-back bands are NaN: every output hour keeps >= 95 % of the input hours' pixels."""
    out = deepcams.downscale(deepcams.simulate(real_geoscf), "deepcams", allow_nan=True)
    valid = out["pm25"].notnull().sum(dim=("lat", "lon")).values
    assert valid[0] > 0 and valid[-1] == valid[0]
    assert valid.min() >= 0.95 * valid[0], valid


REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "data" / "realworld"


@pytest.mark.skipif(
    not REALWORLD.is_dir() and not os.environ.get("CI"), reason="the shared real-world data are not here"
)
def test_shipped_temporal_weights_beat_pchip_on_the_held_out_real_day():
    """GEOS-Chem over Europe, 2005-01-22: the day `make weights` holds out of the hourly sequence."""
    from deepcams.metrics import scores
    from deepcams.models.training.evaluation import sequence_runs
    from deepcams.recipes import SEQUENCE_HELD_OUT_HOURS
    from deepcams.sources.training import hourly_sequence

    europe = hourly_sequence(str(REALWORLD / "geoschem-europe-2005-01" / "PM25.1h.JAN.OFF.nc4")).data
    held_out = europe.isel(time=slice(europe.sizes["time"] - SEQUENCE_HELD_OUT_HOURS - 3, None))
    methods = {name: get_method(f"bicubic-{name}") for name in ("linear", "pchip", "cubic")}
    runs = sequence_runs({**methods, "deepcams": get_method("deepcams")}, held_out)
    rmse = {name: scores(p.ravel(), t.ravel())["rmse"] for name, (p, t) in runs.items()}
    # below pchip, and below the cubic base the network corrects (docs/model-card.md has the figures)
    assert rmse["deepcams"] < rmse["pchip"] and rmse["deepcams"] < rmse["cubic"] < rmse["linear"], rmse
    assert rmse["deepcams"] <= 0.85 * rmse["linear"], rmse  # the project's target (one member alone: 0.853)


def test_the_shipped_temporal_stage_is_the_mean_of_the_members(real_cams):
    """The default T-SR is the mean of the five members' T-SR, each member's own output averaged; the
    ensemble's members and `tsr_members=1` keep one network; nonsense sizes are refused."""
    from deepcams.models.inference import AveragedTemporal, DeepTemporal
    from deepcams.recipes import ENSEMBLE_SIZE

    frames = real_cams["pm25"].isel(lat=slice(40, 70), lon=slice(100, 140)).values.astype("float32")
    times, lon = real_cams["time"].values, real_cams["lon"].values[100:140]
    shipped = get_method("deepcams").temporal
    assert isinstance(shipped, AveragedTemporal) and len(shipped.sha256.split()) == ENSEMBLE_SIZE
    hourly = shipped.interpolate(frames, 3, times=times, lon=lon)
    alone = [get_method("deepcams", member=k, tsr_members=1).temporal for k in range(ENSEMBLE_SIZE)]
    assert isinstance(get_method("deepcams", member=1).temporal, DeepTemporal)
    each = np.stack([t.interpolate(frames, 3, times=times, lon=lon) for t in alone])
    np.testing.assert_array_equal(hourly, each.mean(axis=0, dtype="float64").astype("float32"))
    assert not np.array_equal(hourly, each[0])  # the network moved the hours between the frames
    np.testing.assert_array_equal(hourly[::3], frames)  # the input hours stay the input, exactly
    for bad in (0, ENSEMBLE_SIZE + 1, 2.5, True):
        with pytest.raises(DeepcamsError, match="tsr_members"):
            get_method("deepcams", tsr_members=bad)


def test_shipped_temporal_weights_reach_the_target_on_a_real_day_nothing_trained_on():
    """GEOS-CF at 20 pixels of North Carolina, 2018-01-01 (in no recipe): RMSE at most 0.85 x linear."""
    from deepcams.io import open_geoscf
    from deepcams.metrics import scores
    from deepcams.models.training.evaluation import sequence_runs

    files = sorted((REALWORLD / "geoscf-north-carolina-2018-01-01").glob("*.nc4"))
    carolina = open_geoscf(files, variable="PM25_RH35_GCC_lev=72")
    methods = {name: get_method(f"bicubic-{name}") for name in ("linear", "pchip")}
    runs = sequence_runs({**methods, "deepcams": get_method("deepcams")}, carolina)
    rmse = {name: scores(p.ravel(), t.ravel())["rmse"] for name, (p, t) in runs.items()}
    assert rmse["deepcams"] <= 0.85 * rmse["linear"] and rmse["deepcams"] < rmse["pchip"], rmse


def test_a_region_is_the_same_cut_of_the_global_run(tiny_weights, real_cams):
    """The halo covers both stages' reach (the temporal one included), so a box across the antimeridian
    gets exactly the values of the global run."""
    method = deepcams_method(**tiny_weights)
    frames = real_cams.isel(time=[0, 1, 2])
    whole = deepcams.downscale(frames, method)
    region = deepcams.downscale(frames, method, bbox="170,-40,-170,-20")
    cut = deepcams.select_region(whole, "170,-40,-170,-20")
    np.testing.assert_allclose(region.pm25.values, cut.pm25.values, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("stage", ["ssr", "tsr"])
def test_training_twice_gives_the_same_bytes(stage, tmp_path):
    """`make weights` is reproducible on the CPU: the same recipe, data and seed give byte-identical
    weights and metadata (patches, their order and the initialisation all seeded; the synthetic world's
    own bytes are tested in test_synthetic, so the real sample alone is used here, to save time)."""
    from deepcams.cli import main

    for run in ("first", "second"):
        args = ["train", stage, "--data", "sample", "--channels", "4", "--epochs", "2", "--steps", "2", "--batch",
                "2", "--patch", "16", "--out", str(tmp_path / f"run-{run}"),
                "--export", str(tmp_path / f"{run}.safetensors"), "--quiet"]  # fmt: skip
        assert main(args) == 0
    first, second = tmp_path / "first.safetensors", tmp_path / "second.safetensors"
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".json").read_text() == second.with_suffix(".json").read_text()


def test_no_shipped_weights_trained_on_the_demo_world():
    """The demo world in simulation mode is scored as held-out data (model card): no shipped checkpoint,
    ensemble members included, may have drawn its synthetic patches from the demo's seed."""
    import inspect

    from deepcams.models import member_weights
    from deepcams.recipes import ENSEMBLE_SIZE, SHIPPED
    from deepcams.synthetic import open_demo

    demo_seed = inspect.signature(open_demo).parameters["seed"].default
    for stage in SHIPPED:
        for member in range(ENSEMBLE_SIZE):
            world = read_metadata(member_weights(stage, member))["training"].get("synthetic_world")
            assert world is None or world["seed"] != demo_seed, f"{stage} member {member}"


def test_the_rmse_weight_adds_the_relative_rmse_and_weighs_a_peak_more():
    from deepcams.models.training.loss import loss_fn

    transform = AsinhTransform(1.0)
    truth = torch.full((1, 1, 12, 12), 10.0)
    truth[..., 6, 6] = 2000.0  # one fire pixel
    missed = truth.clone()
    missed[..., 6, 6] = 1000.0  # the peak half missed
    spread = truth * 1.05  # every pixel 5 % off
    pred_t = {name: transform.forward(field) for name, field in (("missed", missed), ("spread", spread))}
    base = {name: float(loss_fn(p, truth, transform, 2)) for name, p in pred_t.items()}
    weighted = {name: float(loss_fn(p, truth, transform, 2, rmse_weight=0.5)) for name, p in pred_t.items()}
    inner = slice(2, -2)
    for name, field in (("missed", missed), ("spread", spread)):
        error = field[..., inner, inner] - truth[..., inner, inner]
        relative_rmse = float(error.square().mean().sqrt() / (truth[..., inner, inner].mean() + 1e-3))
        assert weighted[name] == pytest.approx(base[name] + 0.5 * relative_rmse, rel=1e-5)
    # the missed peak costs more than the spread error with the RMSE term than without it
    assert weighted["missed"] / weighted["spread"] > base["missed"] / base["spread"]
    assert float(loss_fn(pred_t["missed"], truth, transform, 2, rmse_weight=0.0)) == base["missed"]
