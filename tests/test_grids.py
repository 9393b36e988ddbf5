"""The two grids, their alignment, regions across the antimeridian, and coarsening."""

import pickle

import numpy as np
import pytest
import xarray as xr

from deepcams import CAMS, GEOSCF, BBox, DeepcamsError, coarsen, select_region
from deepcams.grids import footprint, require_grid, target_axes, wrap_lon
from deepcams.io.conventions import pm25_dataset


def field(grid, values=None, times=1):
    if values is None:
        values = np.random.default_rng(0).random((times, *grid.shape)).astype("float32")
    time = np.arange(values.shape[0]).astype("M8[h]").astype("M8[ns]")
    return pm25_dataset(values, time, grid.lat, grid.lon, {})


def test_grid_shapes_and_alignment():
    assert CAMS.shape == (241, 480) and GEOSCF.shape == (721, 1440)
    # CAMS cell (i, j) is centred on GEOS-CF pixel (3i, 3j), in any row order
    assert np.allclose(GEOSCF.lat[::3], CAMS.lat) and np.allclose(GEOSCF.lon[::3], CAMS.lon)
    assert GEOSCF.lat[0] == -90 and GEOSCF.lat[-1] == 90 and GEOSCF.lon[-1] == 179.75


def test_coarsen_is_the_centred_block_mean_periodic_and_half_at_the_poles():
    ds = field(GEOSCF)
    fine = ds.pm25.values[0].astype("float64")
    out = coarsen(ds).pm25.values[0]
    assert out.shape == CAMS.shape
    i, j = 100, 0  # block of column 0 wraps to column 1439
    block = fine[3 * i - 1 : 3 * i + 2][:, [1439, 0, 1]]
    assert out[i, j] == pytest.approx(block.mean(), rel=1e-6)
    i, j = 57, 200
    assert out[i, j] == pytest.approx(fine[3 * i - 1 : 3 * i + 2, 3 * j - 1 : 3 * j + 2].mean(), rel=1e-6)
    assert out[0, 5] == pytest.approx(fine[0:2, 14:17].mean(), rel=1e-6)  # south pole: rows 0..1
    assert out[240, 5] == pytest.approx(fine[719:721, 14:17].mean(), rel=1e-6)  # north pole


def test_coarsen_keeps_constants_and_area_weighting_differs_only_where_rows_differ():
    const = field(GEOSCF, np.full((1, *GEOSCF.shape), 7.5, "float32"))
    assert np.allclose(coarsen(const).pm25.values, 7.5)
    assert np.allclose(coarsen(const, weighting="area").pm25.values, 7.5)
    rows = np.broadcast_to(GEOSCF.lat[:, None], GEOSCF.shape).astype("float32")[None] + 100
    uniform = coarsen(field(GEOSCF, rows)).pm25.values[0, 200, 0]
    area = coarsen(field(GEOSCF, rows), weighting="area").pm25.values[0, 200, 0]
    assert uniform == pytest.approx(CAMS.lat[200] + 100, abs=1e-4)
    assert area < uniform  # the equatorward row (larger area) is the lower latitude in the north


def test_coarsen_keeps_nan_in_its_block_only():
    values = np.ones((1, *GEOSCF.shape), "float32")
    values[0, 300, 600] = np.nan
    out = coarsen(field(GEOSCF, values)).pm25.values[0]
    assert np.isnan(out[100, 200]) and np.isnan(out).sum() == 1


def test_coarsen_a_region_of_whole_blocks_matches_the_global_result():
    ds = field(GEOSCF)
    region = ds.isel(lat=slice(299, 332), lon=slice(599, 650))  # rows 3*100-1 .. 3*110+1
    assert np.allclose(coarsen(region).pm25.values, coarsen(ds).pm25.values[:, 100:111, 200:217])
    with pytest.raises(DeepcamsError, match="whole 3 x 3 blocks"):
        coarsen(ds.isel(lat=slice(300, 330), lon=slice(600, 650)))


def test_antimeridian_region_equals_the_region_cut_by_hand():
    ds = field(GEOSCF)
    region = select_region(ds, "150,-10,-150,10")
    by_hand = xr.concat(
        [ds.sel(lon=slice(150, 180), lat=slice(-10, 10)), ds.sel(lon=slice(-180, -150), lat=slice(-10, 10))],
        dim="lon",
    )
    assert np.all(np.diff(region.lon.values) > 0)  # contiguous axis: 150 .. 210
    assert region.lon.values[0] == 150 and region.lon.values[-1] == 210
    np.testing.assert_array_equal(region.pm25.values, by_hand.pm25.values)


@pytest.mark.parametrize("text", ["1,2,3", "10,20,10,30", "0,10,20,5", "a,b,c,d", "0,-95,10,10"])
def test_bad_bboxes_are_clear_errors(text):
    with pytest.raises(DeepcamsError, match="bbox"):
        BBox.parse(text)


def test_bbox_width_across_antimeridian():
    assert BBox.parse("150,-10,-150,10").width == 60
    assert BBox.parse("-180,-90,180,90").width == 360


def test_bbox_pickles_for_the_workers():
    bbox = BBox.parse("150,-10,-150,10")
    assert pickle.loads(pickle.dumps(bbox)) == bbox


def test_wrap_lon_to_the_standard_range_or_onto_a_regional_axis():
    np.testing.assert_array_equal(wrap_lon([180, -180, 190, 540, -190, 0]), [-180, -180, -170, -180, 170, 0])
    np.testing.assert_array_equal(wrap_lon([-160, 200, 150], start=150), [200, 200, 150])


def test_footprint_across_the_antimeridian_crops_exactly_the_target_axes():
    bbox = BBox.parse("170,-10,-170,10")
    region = footprint(bbox, halo=2)
    lat, lon = target_axes(bbox)
    np.testing.assert_array_equal(region.fine_lat, lat)
    np.testing.assert_array_equal(region.fine_lon, lon)
    assert lon[0] == 170 and lon[-1] == 190 and np.all(np.diff(lon) > 0)  # contiguous across 180
    # the cells holding pixels 170 and 190 (centred 170.25 and 189.75) plus two each side
    assert region.coarse_lon[0] == pytest.approx(170.25 - 2 * CAMS.step)
    assert region.coarse_lon[-1] == pytest.approx(189.75 + 2 * CAMS.step)
    np.testing.assert_allclose(region.block_lon[1::3], region.coarse_lon)  # each block centred on its node
    np.testing.assert_allclose(region.block_lat[region.rows], lat)
    np.testing.assert_allclose(region.block_lon[region.cols], lon)
    # the input must hold the CAMS nodes inside the box; the halo may replicate its edge
    assert region.input_lon[0] == pytest.approx(170.25) and region.input_lon[-1] == pytest.approx(189.75)
    assert np.all(region.row_weights == 1)  # no row beyond a pole


def test_footprint_at_a_pole_gives_mirrored_rows_no_weight():
    region = footprint(BBox.parse("-10,80,10,90"), halo=2)
    assert region.fine_lat[-1] == 90 and region.coarse_lat[-1] == 90 + 2 * CAMS.step
    np.testing.assert_allclose(region.block_lat[region.rows], region.fine_lat)
    beyond = region.block_lat > 90
    assert beyond.sum() == 3 * 2 + 1  # two halo cells and the pole cell's outer pixel
    np.testing.assert_array_equal(region.row_weights, np.where(beyond, 0.0, 1.0))
    globe = footprint(None)
    np.testing.assert_array_equal(globe.fine_lat, GEOSCF.lat)
    np.testing.assert_array_equal(globe.block_lon[globe.cols], GEOSCF.lon)
    assert globe.row_weights.sum() == GEOSCF.nlat


def test_a_box_without_pixels_is_an_error():
    with pytest.raises(DeepcamsError, match="holds no GEOS-CF grid points"):
        footprint(BBox.parse("0.1,0.1,0.2,0.2"))


def test_require_grid_refuses_off_grid_data():
    cams = field(CAMS)
    require_grid(cams, CAMS, "input")
    require_grid(cams.isel(lat=slice(10, 20), lon=slice(5, 9)), CAMS, "input")  # a box of the grid
    with pytest.raises(DeepcamsError, match=r"\(lon spacing is not the regular 0.75 deg\); try this"):
        require_grid(cams.isel(lon=[0, 1, 3]), CAMS, "input", hint="try this")
    with pytest.raises(DeepcamsError, match="input is not on the CAMS EAC4 0.75 deg grid"):
        require_grid(cams.assign_coords(lon=cams.lon + 0.1), CAMS, "input")
    with pytest.raises(DeepcamsError, match="off the grid nodes"):
        require_grid(field(GEOSCF), CAMS, "input")
