"""The S-SR's static covariates: aligned with the grid and its coasts, read across the antimeridian and the
poles, fed to the network where the block lies; and the spatial stage's NaN footprint."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
import torch
import xarray as xr

import deepcams
from deepcams.covariates import COVARIATES, covariates, open_covariates
from deepcams.errors import DeepcamsError
from deepcams.grids import GEOSCF, BBox, footprint
from deepcams.methods.spatial import upsample as interpolate_spatial
from deepcams.models import build_model, default_weights, load_checkpoint, save_checkpoint
from deepcams.models.inference import deepcams_method
from deepcams.models.transform import AsinhTransform

NAMES = ("land_fraction", "urban_fraction")  # covariates=2: the first two


def _randomize(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=generator))
    return model


@pytest.fixture(scope="module")
def covariate_weights(tmp_path_factory):
    """A tiny untrained ABPN with covariates, made to react to them."""
    torch.manual_seed(0)
    model = _randomize(build_model("ssr-abpn", {"channels": 4, "stages": 1, "covariates": 2}), 5)
    path = tmp_path_factory.mktemp("cov") / "ssr.safetensors"
    return save_checkpoint(path, model, "ssr-abpn", AsinhTransform(1.0))


def _at(name: str, lat: float, lon: float) -> float:
    return float(open_covariates()[name].sel(lat=lat, lon=lon))


def test_the_file_is_on_the_grid_with_fractions_and_attribution():
    ds = open_covariates()
    assert tuple(ds.data_vars) == COVARIATES
    assert GEOSCF.contains(ds) and ds.sizes == {"lat": 721, "lon": 1440}
    for name in COVARIATES:
        values = ds[name].values
        assert values.dtype == np.float32 and 0.0 <= values.min() and values.max() <= 1.0
        assert ds[name].attrs["units"] == "1" and ds[name].attrs["long_name"]
    assert "MODIS" in ds.attrs["attribution"] and "GLOBE" in ds.attrs["attribution"]
    assert (files("deepcams") / "data" / "covariates.nc").stat().st_size < 1024**2  # small, shipped


def test_covariates_sit_where_the_map_says():
    """Coastline test: inland ~1, open sea 0, and the Strait of Dover pixel by pixel; cities and deserts."""
    assert _at("land_fraction", 50.0, 10.0) == 1.0  # Germany
    assert _at("land_fraction", 0.0, -30.0) == 0.0  # equatorial Atlantic
    # the Strait of Dover (pixels +- 0.125 deg): Kent at 51.25N 1.25E, sea at 51.0N 1.25E and 50.75N 1.0E,
    # France at 50.75N 1.75E, North Sea at 51.25N 1.75E
    assert _at("land_fraction", 51.25, 1.25) > 0.9 and _at("land_fraction", 50.75, 1.75) > 0.9
    for lat, lon in ((51.0, 1.25), (50.75, 1.0), (51.25, 1.75)):
        assert _at("land_fraction", lat, lon) < 0.1
    for lat, lon in ((48.75, 2.25), (35.75, 139.75), (19.5, -99.25)):  # Paris, Tokyo, Mexico City
        assert _at("urban_fraction", lat, lon) > 0.6
    assert _at("urban_fraction", 0.0, -30.0) == 0.0 and _at("urban_fraction", 50.0, 10.0) < 0.05
    assert _at("barren_fraction", 23.0, 10.0) > 0.9  # the Sahara


def test_covariates_are_not_shifted_against_an_independent_coastline():
    """One pixel off in any direction, or flipped, and they agree worse with Natural Earth's land (the
    synthetic world's) and MODIS's land classes fall into GLOBE's sea: both sources are registered."""
    ds = open_covariates()
    land = ds["land_fraction"].values
    path = files("deepcams") / "data" / "land_fraction.nc"
    with xr.open_dataset(path, engine="netcdf4") as ne:
        natural_earth = ne["land_fraction"].values / 100.0
    on_land = ds["urban_fraction"].values + ds["barren_fraction"].values
    shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    mismatch = {s: np.abs(np.roll(land, s, axis=(0, 1)) - natural_earth).mean() for s in shifts}
    at_sea = {s: (np.roll(on_land, s, axis=(0, 1)) * (1 - land)).sum() for s in shifts}
    assert min(mismatch, key=mismatch.get) == (0, 0) and min(at_sea, key=at_sea.get) == (0, 0)
    assert np.abs(land[::-1] - natural_earth).mean() > 5 * mismatch[(0, 0)]


def test_loader_wraps_longitude_and_mirrors_across_the_poles():
    lat = np.array([-90.5, -90.25, -90.0, 0.0, 89.75, 90.0, 90.25, 90.5])
    across = covariates(lat, np.array([179.5, 179.75, 180.0, 180.25, 180.5]))
    wrapped = covariates(lat, np.array([179.5, 179.75, -180.0, -179.75, -179.5]))
    np.testing.assert_array_equal(across, wrapped)
    mirrored = covariates(np.array([-89.5, -89.75, -90.0, 0.0, 89.75, 90.0, 89.75, 89.5]), [0.0, 10.0])
    np.testing.assert_array_equal(covariates(lat, [0.0, 10.0]), mirrored)
    ds = open_covariates()
    np.testing.assert_array_equal(
        covariates([45.0], [-73.5], ["urban_fraction"])[0], ds["urban_fraction"].sel(lat=[45.0], lon=[-73.5])
    )
    # a Footprint's block axes, halo beyond the pole and past 180 included
    region = footprint(BBox(170.0, 80.0, -170.0, 90.0), halo=3)
    block = covariates(region.block_lat, region.block_lon)
    assert block.shape == (len(COVARIATES), region.block_lat.size, region.block_lon.size)
    with pytest.raises(DeepcamsError, match="unknown covariates"):
        covariates([0.0], [0.0], ["elevation"])
    with pytest.raises(DeepcamsError, match="outside"):
        covariates([0.1], [0.0])  # not a grid node


def test_the_network_with_and_without_covariates():
    """Same receptive field (radius) for the PM2.5 input; covariates reach no further; untrained it is
    the bicubic upsampling; old configs build as before; a covariate network refuses to run without."""
    plain = build_model("ssr-abpn", {"channels": 8, "stages": 2})
    assert plain.config == {"channels": 8, "stages": 2} and plain.covariates == ()
    model = build_model("ssr-abpn", {"channels": 8, "stages": 2, "covariates": 2}).eval()
    assert model.radius == plain.radius and model.covariates == NAMES
    x, surface = torch.rand(2, 1, 10, 12), torch.rand(2, 2, 30, 36)
    with torch.no_grad():
        torch.testing.assert_close(model(x, surface)[..., 1::3, 1::3], x, atol=1e-5, rtol=0)
    with pytest.raises(DeepcamsError, match="needs the covariates"):
        model(x)
    with pytest.raises(DeepcamsError, match="covariates must be"):
        build_model("ssr-abpn", {"covariates": len(COVARIATES) + 1})
    # untrained, the same seed's network without covariates: they enter through zero layers made last
    torch.manual_seed(7)
    without = build_model("ssr-abpn", {"channels": 8, "stages": 2})
    torch.manual_seed(7)
    with_them = build_model("ssr-abpn", {"channels": 8, "stages": 2, "covariates": 3})
    for layer in (without.tail, with_them.tail):
        torch.nn.init.constant_(layer.weight, 0.01)
    with torch.no_grad():
        torch.testing.assert_close(with_them(x, torch.rand(2, 3, 30, 36)), without(x), rtol=0, atol=0)
    _randomize(model, 3)
    x, surface = torch.rand(1, 1, 41, 41), torch.rand(1, 2, 123, 123)
    bumped, bumped_surface = x.clone(), surface.clone()
    bumped[0, 0, 20, 20] += 1.0
    bumped_surface[0, :, 61, 61] += 1.0
    with torch.no_grad():
        reference = model(x, surface)
        by_input = (model(bumped, surface) - reference).abs()[0, 0] > 0
        by_surface = (model(x, bumped_surface) - reference).abs()[0, 0] > 0
    rows = torch.nonzero(by_input.any(dim=1)).flatten()
    assert -(-max(60 - int(rows.min()), int(rows.max()) - 62) // 3) == model.radius
    rows = torch.nonzero(by_surface.any(dim=1)).flatten()
    assert rows.numel() and max(61 - int(rows.min()), int(rows.max()) - 61) <= 3 * model.radius


def test_checkpoint_keeps_the_covariates(covariate_weights):
    model, _, meta = load_checkpoint(covariate_weights, stage="ssr")
    assert model.covariates == NAMES and meta["config"]["covariates"] == 2


def test_the_pipeline_feeds_the_covariates_of_the_block(covariate_weights, real_cams):
    """The output depends on where the block lies: the same PM2.5 gives another field over another
    surface; tiles and the antimeridian leave no seam; the spatial stage needs the footprint."""
    method = deepcams_method(ssr_weights=covariate_weights)
    frame = real_cams.isel(time=[0])
    world = deepcams.downscale(frame, method, tile=64)
    region = deepcams.downscale(frame, method, bbox="170,-10,-170,10", tile=16)
    wrapped = (region["lon"].values + 180) % 360 - 180
    expected = world["pm25"].sel(lat=region["lat"].values, lon=wrapped).values
    np.testing.assert_allclose(region["pm25"].values, expected, rtol=1e-4, atol=1e-5 * expected.max())
    here = footprint(BBox(-5.0, 45.0, 10.0, 57.0), halo=0)  # the English Channel
    there = footprint(BBox(-45.0, -5.0, -30.0, 7.0), halo=0)  # open Atlantic
    assert here.coarse_lat.size == there.coarse_lat.size == 17 and here.coarse_lon.size == 21
    coarse = np.full((1, 17, 21), 10.0, dtype="float32")
    over_land = method.spatial.upsample(coarse, footprint=here)
    over_sea = method.spatial.upsample(coarse, footprint=there)
    assert not np.allclose(over_land, over_sea)
    with pytest.raises(DeepcamsError, match="footprint"):
        method.spatial.upsample(coarse)


def test_a_missing_cell_makes_nan_only_in_its_own_block(covariate_weights):
    """NaN footprint of the spatial stage: a NaN band stays a NaN band (0 cells wider); the network's
    output is unchanged beyond `radius` cells of it; in between, bicubic (or the cell's value)."""
    method = deepcams_method(ssr_weights=covariate_weights, conserve=False)
    region = footprint(BBox(0.0, 0.0, 30.0, 20.0), halo=0)
    h, w = region.coarse_lat.size, region.coarse_lon.size
    coarse = np.random.default_rng(3).gamma(2.0, 10.0, size=(2, h, w)).astype("float32")
    gappy = coarse.copy()
    gappy[:, :, 18:22] = np.nan
    gappy[1, 5, 5] = np.nan
    clean = method.spatial.upsample(coarse, footprint=region)
    out = method.spatial.upsample(gappy, footprint=region)
    expected_nan = np.repeat(np.repeat(np.isnan(gappy), 3, axis=-2), 3, axis=-1)
    np.testing.assert_array_equal(np.isnan(out), expected_nan)
    r = method.spatial.halo
    far = np.ones(w, bool)
    far[18 - r : 22 + r] = False
    np.testing.assert_array_equal(out[0][:, np.repeat(far, 3)], clean[0][:, np.repeat(far, 3)])
    near = np.repeat(np.isin(np.arange(w), [18 - r, 18 - 3]), 3)  # within reach, beyond the bicubic's 2
    bicubic = interpolate_spatial(gappy[0], "bicubic")
    np.testing.assert_allclose(out[0][:, near], np.maximum(bicubic[:, near], 0), rtol=1e-6)
    # conservation keeps every valid block's mean, and the gap
    conserving = deepcams_method(ssr_weights=covariate_weights).spatial.upsample(gappy, footprint=region)
    np.testing.assert_array_equal(np.isnan(conserving), expected_nan)


def test_shipped_spatial_stage_keeps_the_real_sample_valid_up_to_its_nan_bands(simulated_cams):
    """The real sample in simulation mode has NaN bands: the spatial stage leaves every other pixel valid."""
    frame = simulated_cams.isel(time=[0])
    out = deepcams.downscale(frame, "deepcams", allow_nan=True, ssr_weights=default_weights("ssr"))
    valid_cells = np.isfinite(frame["pm25"].values[0])
    blocks = np.repeat(np.repeat(valid_cells, 3, axis=0), 3, axis=1)[1:-1]  # the pole cells are half cells
    blocks = np.roll(blocks, -1, axis=1)  # CAMS cell j covers pixels 3j - 1 .. 3j + 1
    np.testing.assert_array_equal(np.isfinite(out["pm25"].values[0]), blocks)
