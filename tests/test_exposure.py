"""Exposure products: hand-computed daily means, WHO exceedances, diurnal peak; `aggregate` on a `produce`
archive on a LocalCluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from deepcams.cli import main
from deepcams.exposure import WHO_24H, aggregate, write_exposure
from deepcams.io.conventions import pm25_dataset

LAT = np.array([40.0, 40.25])
LON = np.array([10.0, 10.25, 10.5])


def record(days=3, start="2024-01-30") -> xr.Dataset:
    """Hourly: 10 ug m-3 from 00 to 11 UTC, 20 from 12 to 23 UTC, the same at every pixel but one
    (pixel [1, 2], twice as high); the last day's final 8 hours missing."""
    times = pd.date_range(start, periods=24 * days, freq="h")
    values = np.where(times.hour >= 12, 20.0, 10.0)[:, None, None] * np.ones((1, LAT.size, LON.size))
    values[:, 1, 2] *= 2
    values[-8:] = np.nan
    return pm25_dataset(values, times, LAT, LON, {"source": "hand-made"})


def test_daily_means_exceedances_and_diurnal_peak_by_hand():
    out = aggregate(record()).compute()
    # UTC days: 12 h at 10 and 12 h at 20 -> 15; the last day has 16 of 24 hours (< 75 %) -> no mean
    np.testing.assert_allclose(out["daily_mean"].values[:, 0, 0], [15.0, 15.0, np.nan])
    np.testing.assert_allclose(out["daily_mean"].values[:2, 1, 2], [30.0, 30.0])
    assert out["days_over_24h_guideline"].values[0, 0, 0] == 0  # 15 is not above 15
    assert out["days_over_24h_guideline"].values[0, 1, 2] == 2 and out["valid_days"].values[0, 0, 0] == 2
    assert out["monthly_mean"].sizes["month"] == 2 and float(out["annual_mean"][0, 1, 2]) == 30.0
    assert out["over_annual_guideline"].values[0].all()
    assert int(out["peak_hour"][0, 0]) == 12  # first hour of the 20s
    # Sydney days (UTC+11): a local day runs 13 UTC .. 12 UTC; day 2024-01-31 holds 11 h at 20, 12 at 10, 1 at 20
    local = aggregate(record(), timezone="Australia/Sydney").compute()
    day = local["daily_mean"].sel(day="2024-01-31")
    assert float(day[0, 0]) == pytest.approx((12 * 20 + 12 * 10) / 24)
    assert int(local["peak_hour"][0, 0]) == 0  # local hours 23 and 0..10 tie at 20: the day's first wins
    assert local["peak_hour"].attrs == {
        "units": "hour",
        "long_name": "hour of the diurnal peak (Australia/Sydney)",
    }


def test_population_weighted_means_and_points(tmp_path):
    pop = xr.DataArray(np.ones((LAT.size, LON.size)), coords={"lat": LAT, "lon": LON}, dims=("lat", "lon"))
    pop[1, 2] = 4.0  # the polluted pixel holds 4 of 9 people
    out = aggregate(record(), population=pop).compute()
    expected = (5 * 15.0 + 4 * 30.0) / 9
    np.testing.assert_allclose(out["population_weighted_daily_mean"].values[:2], [expected, expected])
    assert float(out["population_over_24h_guideline_days"][0]) == 4 * 2
    points = pd.DataFrame({"name": ["a", "b"], "lat": [40.01, 40.24], "lon": [10.0, 10.49]})
    (path,) = write_exposure(out, tmp_path / "points.csv", points)
    table = pd.read_csv(path)
    assert list(table.columns) == ["name", "day", "daily_mean"]
    assert table[table["name"] == "b"]["daily_mean"].iloc[0] == 30.0
    assert WHO_24H == 15.0


def test_geotiffs_are_north_up_cogs_in_lon_lat(tmp_path):
    rioxarray = pytest.importorskip("rioxarray", reason="the geotiff extra: pip install -e '.[geotiff]'")
    out = aggregate(record()).compute()
    written = write_exposure(out, tmp_path / "exposure.tif")
    assert sorted(p.name for p in written) == [
        "exposure_annual_mean_2024.tif",
        "exposure_days_over_24h_guideline_2024.tif",
        "exposure_over_annual_guideline_2024.tif",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temporaries
    raster = rioxarray.open_rasterio(tmp_path / "exposure_annual_mean_2024.tif").squeeze("band")
    assert raster.rio.crs.to_epsg() == 4326
    assert raster["y"].values[0] > raster["y"].values[-1]  # north up
    np.testing.assert_allclose(raster.values, out["annual_mean"].values[0][::-1])
    np.testing.assert_allclose(raster["x"].values, LON)
    days = rioxarray.open_rasterio(tmp_path / "exposure_days_over_24h_guideline_2024.tif").squeeze("band")
    assert int(days.values[0, 2]) == 2 and int(days.values[1, 0]) == 0  # the polluted pixel, north row


@pytest.mark.slow
def test_aggregate_runs_on_a_produce_archive_on_a_local_cluster(tmp_path, capsys):
    from distributed import Client, LocalCluster

    from deepcams.grids import CAMS
    from deepcams.io import open_dataset
    from deepcams.io.providers import to_cams_netcdf
    from deepcams.production import produce

    lat, lon = CAMS.lat[(CAMS.lat >= 35) & (CAMS.lat <= 50)], CAMS.lon[(CAMS.lon >= 0) & (CAMS.lon <= 15)]
    (tmp_path / "cams").mkdir()
    for day in pd.date_range("2024-03-01", periods=3):  # 3-hourly CAMS days (day 3 gives day 2 its 00 UTC)
        times = pd.date_range(day, periods=8, freq="3h")
        hours = ((times - times[0]) / pd.Timedelta(hours=1)).to_numpy()[:, None, None]
        field = 30 + 10 * np.sin(np.radians(lat)[None, :, None] * 5 + hours / 7) + 0 * lon[None, None, :]
        to_cams_netcdf(pm25_dataset(field, times, lat, lon, {}), tmp_path / "cams" / f"cams_{day:%Y%m%d}.nc")
    store = tmp_path / "archive.zarr"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            report = produce(str(tmp_path / "cams" / "*.nc"), store, "2024-03-01", "2024-03-02",
                             bbox="5,40,10,45", method="bicubic-linear", client=client, log=lambda s: None)  # fmt: skip
            assert report.complete
            archive = open_dataset(store, chunks={})
            products = aggregate(archive)
            assert products["daily_mean"].chunks is not None  # lazy until written
            (path,) = write_exposure(products, tmp_path / "exposure.nc")
    with xr.open_dataset(path) as written:
        hourly = xr.open_zarr(store)["pm25"]
        first = hourly.sel(time="2024-03-01").mean("time")
        np.testing.assert_allclose(written["daily_mean"].sel(day="2024-03-01"), first, rtol=1e-5)
        assert written["daily_mean"].attrs["units"] == "ug m-3" and written.attrs["Conventions"] == "CF-1.8"
    assert (
        main(["aggregate", str(store), "-o", str(tmp_path / "exposure.zarr"), "--timezone", "Europe/Rome"])
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    assert xr.open_zarr(tmp_path / "exposure.zarr")["diurnal_cycle"].sizes["hour"] == 24
