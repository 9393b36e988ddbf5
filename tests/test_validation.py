"""In-situ validation: OpenAQ v2/v3 CSV layouts, station matching, scores, the `validate` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from deepcams import DeepcamsError
from deepcams.cli import main
from deepcams.grids import CAMS, GEOSCF
from deepcams.io import to_netcdf
from deepcams.io.conventions import pm25_dataset
from deepcams.io.providers import to_cams_netcdf
from deepcams.validation import match_stations, read_openaq, validate

TIMES = pd.date_range("2024-03-01", periods=48, freq="h")
# (id, name, lat, lon): off the grid nodes, so bilinear and nearest differ
STATIONS = [("101", "Alpha", 45.1, 7.63), ("102", "Beta", 46.37, 8.91), ("103", "Gamma", 44.62, 9.4)]


def plane(lat, lon, hours):
    """A field linear in lat and lon (bilinear interpolation reproduces it exactly), varying in time."""
    return 10 + 2 * lat + 3 * lon + 0.5 * hours


def product(step_grid=GEOSCF, times=TIMES) -> object:
    lat = step_grid.lat[(step_grid.lat >= 42) & (step_grid.lat <= 49)]
    lon = step_grid.lon[(step_grid.lon >= 5) & (step_grid.lon <= 12)]
    hours = ((times - TIMES[0]) / pd.Timedelta(hours=1)).to_numpy()
    values = plane(lat[None, :, None], lon[None, None, :], hours[:, None, None])
    return pm25_dataset(values, times, lat, lon, {"source": "test plane"})


def truth(lat, lon, time):
    return plane(lat, lon, (time - TIMES[0]) / pd.Timedelta(hours=1))


def write_v2(path, offset=1.5, unit="µg/m³"):
    rows = []
    for _, name, lat, lon in STATIONS:
        for time in TIMES[::2]:
            stamp = (time + pd.Timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # rounds to the hour
            rows.append(
                [
                    name,
                    "City",
                    "IT",
                    stamp,
                    stamp,
                    "pm25",
                    truth(lat, lon, time) - offset,
                    unit,
                    lat,
                    lon,
                    "[]",
                ]
            )
        rows.append(
            [
                name,
                "City",
                "IT",
                TIMES[1].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "",
                "o3",
                0.03,
                "ppm",
                lat,
                lon,
                "[]",
            ]
        )
        rows.append(
            [
                name,
                "City",
                "IT",
                TIMES[3].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "",
                "pm25",
                -999,
                unit,
                lat,
                lon,
                "[]",
            ]
        )
    columns = "location,city,country,utc,local,parameter,value,unit,latitude,longitude,attribution".split(",")
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def write_v3(path, offset=-2.0, units="µg/m³"):
    rows = []
    for sid, name, lat, lon in STATIONS:
        for time in TIMES[1::2]:
            local = (time.tz_localize("UTC").tz_convert("Europe/Rome")).isoformat()  # local time, +01:00
            rows.append(
                [sid, "9" + sid, name, local, lat, lon, "pm25", units, truth(lat, lon, time) - offset]
            )
    columns = "location_id,sensors_id,location,datetime,lat,lon,parameter,units,value".split(",")
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def test_v2_layout_read_in_utc_with_pm25_only(tmp_path):
    table = read_openaq(write_v2(tmp_path / "v2.csv"))
    assert table.attrs["layout"] == "openaq-v2" and table.attrs["dropped"] == 3  # the -999 flags
    assert len(table) == 3 * 24 and set(table["name"]) == {"Alpha", "Beta", "Gamma"}
    assert table["time"].min() == pd.Timestamp("2024-03-01T00:10")


def test_v3_layout_converts_local_offsets_to_utc(tmp_path):
    table = read_openaq(write_v3(tmp_path / "v3.csv"))
    assert table.attrs["layout"] == "openaq-v3"
    assert table["time"].min() == pd.Timestamp("2024-03-01T01:00")  # 02:00+01:00 local
    assert set(table["station"]) == {"101", "102", "103"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,c\n1,2,3\n", "not a known station layout"),
        (
            "location_id,datetime,lat,lon,parameter,units,value\n1,2024-03-01T00:00:00Z,45,7,pm25,ppm,1\n",
            "ppm",
        ),
        (
            "location_id,datetime,lat,lon,parameter,units,value\n1,2024-03-01T00:00:00Z,45,7,o3,ppm,1\n",
            "no PM2.5",
        ),
    ],
)
def test_other_layouts_and_units_are_refused(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DeepcamsError, match=message):
        read_openaq(path)


def test_bilinear_recovers_a_linear_field_exactly_and_the_bias(tmp_path):
    stations = read_openaq(write_v2(tmp_path / "v2.csv", offset=1.5))
    result = validate({"plane": product()}, stations, "bilinear")
    overall = result.overall.iloc[0]
    assert overall["n"] == 3 * 24 and overall["stations"] == 3
    assert overall["bias"] == pytest.approx(1.5, abs=1e-3)
    assert overall["rmse"] == pytest.approx(1.5, abs=1e-3)
    assert overall["r"] == pytest.approx(1.0, abs=1e-6)
    assert len(result.per_station) == 3


def test_nearest_takes_the_containing_pixel(tmp_path):
    stations = read_openaq(write_v3(tmp_path / "v3.csv", offset=0.0))
    pairs = match_stations(product(), stations, "nearest")
    alpha = pairs[pairs["station"] == "101"].iloc[0]
    lat, lon = np.round(45.1 / 0.25) * 0.25, np.round(7.63 / 0.25) * 0.25  # 45.0, 7.75
    assert alpha["predicted"] == pytest.approx(truth(lat, lon, alpha["time"]), abs=1e-3)
    assert alpha["predicted"] != pytest.approx(alpha["observed"], abs=1e-3)


def test_stations_outside_the_region_get_no_pairs(tmp_path):
    stations = read_openaq(write_v2(tmp_path / "v2.csv"))
    far = stations.assign(lat=stations["lat"] - 30)
    assert match_stations(product(), far).empty
    with pytest.raises(DeepcamsError, match="0 stations matched product .plane.: of 3 stations"):
        validate({"plane": product()}, far)


def test_validate_command_text_csv_json_and_three_hourly_cams(tmp_path, capsys):
    stations = write_v2(tmp_path / "v2.csv", offset=1.5)
    fine = to_netcdf(product(), tmp_path / "fine.nc")
    cams = to_cams_netcdf(
        product(CAMS, pd.date_range("2024-03-01", periods=16, freq="3h")), tmp_path / "cams.nc"
    )
    assert main(["validate", "--stations", str(stations), f"deepcams={fine}", f"CAMS={cams}"]) == 0
    text = capsys.readouterr().out
    assert "overall:" in text and "Alpha" in text and "CAMS" in text
    out = tmp_path / "scores.json"
    assert main(["validate", "--stations", str(stations), f"deepcams={fine}", f"CAMS={cams}", "--format", "json",
                 "-o", str(out), "--interpolation", "nearest"]) == 0  # fmt: skip
    assert "wrote" in capsys.readouterr().out
    report = json.loads(out.read_text())
    counts = {row["product"]: row["n"] for row in report["overall"]}
    # CAMS pairs only at its 3-hourly instants that have station values (even hours: 0, 6, ..., 42)
    assert counts == {"deepcams": 72, "CAMS": 3 * 8}
    assert main(["validate", "--stations", str(stations), str(fine), "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0] == "product,station,name,n,r,rmse,mae,bias,nmb,nme,mfb,mfe,fac2,ioa,mqi" and csv[
        1
    ].startswith("fine,ALL,")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    assert main(["validate", "--stations", str(bad), str(fine)]) == 2
    assert "error: " in capsys.readouterr().err


# --- statistics, each against a hand-computed value --------------------------------------------------------

MODEL, OBS = np.array([3.0, 4.0, 6.0]), np.array([1.0, 4.0, 8.0])  # errors +2, 0, -2; ratios 3, 1, 0.75


def test_each_statistic_against_a_hand_computed_value():
    from deepcams.validation import paired_statistics

    s = paired_statistics(MODEL, OBS)
    assert s["n"] == 3 and s["bias"] == pytest.approx(0.0)
    assert s["rmse"] == pytest.approx(np.sqrt(8 / 3)) and s["mae"] == pytest.approx(4 / 3)
    # anomalies M: -4/3, -1/3, 5/3; O: -10/3, -1/3, 11/3 -> R = 96 / sqrt(42 * 222)
    assert s["r"] == pytest.approx(96 / np.sqrt(42 * 222))
    assert s["nmb"] == pytest.approx(0.0) and s["nme"] == pytest.approx(100 * 4 / 13)
    assert s["mfb"] == pytest.approx(100 * 2 / 3 * (2 / 4 + 0 - 2 / 14))
    assert s["mfe"] == pytest.approx(100 * 2 / 3 * (2 / 4 + 2 / 14))
    assert s["fac2"] == pytest.approx(2 / 3)  # 3x is outside
    # IOA: 1 - 8 / ((4/3 + 10/3)^2 + (1/3 + 1/3)^2 + (5/3 + 11/3)^2) = 1 - 72 / 456
    assert s["ioa"] == pytest.approx(1 - 72 / 456)
    # U(O)^2 = 0.36^2 (0.75 O^2 + 0.25 * 25^2) -> mean 0.36^2 * (157 + 168.25 + 204.25) / 3
    assert s["mqi"] == pytest.approx(np.sqrt(8 / 3) / (2 * 0.36 * np.sqrt(529.5 / 3)))
    assert paired_statistics([np.nan], [1.0])["n"] == 0


def test_target_point_radius_is_the_mqi_and_mqi90_interpolates_ranks():
    from deepcams.validation.statistics import mqi90, target_point

    x, y = target_point(MODEL, OBS)
    assert y == pytest.approx(0.0)  # no bias
    assert x == pytest.approx(
        np.sqrt(8 / 3) / (2 * 0.36 * np.sqrt(529.5 / 3))
    )  # sigma error dominates: right
    x, y = target_point(OBS[::-1] + 1, OBS)  # anti-correlated, biased +1: left of the axis, above it
    assert x < 0 and y > 0
    assert mqi90(np.arange(1.0, 11.0)) == pytest.approx(9.0)  # S = 10: MQI(9) + (MQI(10) - MQI(9)) * 0
    assert mqi90(np.arange(1.0, 6.0)) == pytest.approx(4.5)  # S = 5: MQI(4) + (MQI(5) - MQI(4)) * 0.5


# --- station layouts, units and quality control ----------------------------------------------------------

V1_HEADER = "location_id,location,parameter,value,date_utc,unit,lat,long,country"


def test_openaq_v1_eea_and_mapped_layouts(tmp_path):
    from deepcams.validation import read_stations

    v1 = tmp_path / "v1.csv"
    v1.write_text(f"{V1_HEADER}\n2487,Bathurst,pm25,9.9,2020-02-01 00:00:00,µg/m³,-33.40,149.57,AU\n")
    table = read_stations(v1)
    assert table.attrs["layout"] == "openaq-v1" and table["time"][0] == pd.Timestamp("2020-02-01")
    assert (table["station"][0], table["name"][0], table["lon"][0]) == ("2487", "Bathurst", 149.57)
    eea = tmp_path / "eea.csv"
    eea.write_text(
        "AirQualityStation,AirPollutant,Concentration,UnitOfMeasurement,DatetimeBegin,DatetimeEnd,Validity,"
        "AirQualityStationType,Latitude,Longitude\n"
        "STA.IT1,PM2.5,12.5,µg/m3,2024-03-01 00:00:00 +01:00,2024-03-01 01:00:00 +01:00,1,background,45.1,7.6\n"
        "STA.IT1,PM2.5,99.0,µg/m3,2024-03-01 01:00:00 +01:00,2024-03-01 02:00:00 +01:00,-1,background,45.1,7.6\n"
        "STA.IT1,NO2,40.0,µg/m3,2024-03-01 00:00:00 +01:00,2024-03-01 01:00:00 +01:00,1,background,45.1,7.6\n"
    )
    table = read_stations(eea)
    assert table.attrs["layout"] == "eea" and len(table) == 1 and table.attrs["quality"]["empty"] == 1
    assert table["time"][0] == pd.Timestamp("2024-03-01T00:00") and table["station_class"][0] == "background"
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "when,y,x,conc,u\n2024-03-01T00:00Z,45,7,0.02,mg/m3\n2024-03-01T01:00Z,45,7,20000,ng/m³\n"
    )
    table = read_stations(plain, {"time": "when", "lat": "y", "lon": "x", "value": "conc", "units": "u"})
    assert list(table["pm25"]) == [20.0, 20.0] and table["station"][0] == "45,7"


def test_quality_control_drops_and_counts_each_reason(tmp_path):
    from deepcams.validation import describe_quality, read_stations

    lines = [V1_HEADER]
    for hour in range(30):  # station 1: a stuck sensor (30 identical hours)
        lines.append(f"1,Stuck,pm25,7.0,2024-03-01 {hour % 24:02d}:00:00,µg/m³,45,7,IT".replace(
            "2024-03-01", "2024-03-02" if hour >= 24 else "2024-03-01"))  # fmt: skip
    lines += [
        "2,Good,pm25,8.0,2024-03-01 00:00:00,µg/m³,45,7,IT",
        "2,Good,pm25,-999,2024-03-01 01:00:00,µg/m³,45,7,IT",
        "2,Good,pm25,9000,2024-03-01 02:00:00,µg/m³,45,7,IT",
        "2,Good,pm25,,2024-03-01 03:00:00,µg/m³,45,7,IT",
        "3,Lat200,pm25,8.0,2024-03-01 00:00:00,µg/m³,200,7,IT",
        "4,LonAbc,pm25,8.0,2024-03-01 00:00:00,µg/m³,45,abc,IT",
    ]
    path = tmp_path / "qc.csv"
    path.write_text("\n".join(lines) + "\n")
    table = read_stations(path)
    assert list(table["name"]) == ["Good"]
    quality = table.attrs["quality"]
    assert quality == {"coordinates": 2, "time": 0, "empty": 1, "negative": 1, "impossible": 1, "flat": 30}
    text = describe_quality(quality, 36)
    assert text.startswith("dropped 35 of 36 rows: 2 coordinates") and "30 flat lines" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"{V1_HEADER}\n1,A,pm25,5,01/03/2024 00:00,µg/m³,45,7,IT\n",
            "not ISO 8601 (first: '01/03/2024 00:00')",
        ),
        ("location_id,location,parameter,value\n1,A,pm25,5\n", "not a known station layout"),
        (
            f"{V1_HEADER}\n1,A,pm25,5,2024-03-01 00:00,µg/m³,200,7,IT\n",
            "no valid PM2.5 values (dropped 1 of 1",
        ),
    ],
)
def test_bad_station_files_end_with_one_error_line(tmp_path, capsys, text, message):
    stations = tmp_path / "bad.csv"
    stations.write_text(text)
    fine = to_netcdf(product(), tmp_path / "fine.nc")
    assert main(["validate", "--stations", str(stations), str(fine)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_bad_coordinates_are_reported_with_counts_and_far_stations_match_zero(tmp_path, capsys):
    lines = [V1_HEADER] + [
        f"{sid},{name},pm25,{20 + k},{t:%Y-%m-%d %H:%M:%S},µg/m³,{lat},{lon},IT"
        for sid, name, lat, lon in [("1", "Alpha", 45.1, 7.63), ("2", "Bad", 200, 7), ("3", "Abc", 45, "abc")]
        for k, t in enumerate(TIMES[:6])
    ]
    stations = tmp_path / "st.csv"
    stations.write_text("\n".join(lines) + "\n")
    fine = to_netcdf(product(), tmp_path / "fine.nc")
    assert main(["validate", "--stations", str(stations), str(fine), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "dropped 12 of 18 rows: 12 coordinates not numbers or outside" in captured.err
    assert captured.out.splitlines()[1].startswith("fine,ALL,all stations,6,")
    far = tmp_path / "far.csv"
    far.write_text("\n".join(line.replace(",45.1,", ",-10.0,") for line in lines[:7]) + "\n")
    assert main(["validate", "--stations", str(far), f"plane={fine}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: 0 stations matched product 'plane': of 1 stations") and len(err) == 2


def test_rolling_and_daily_windows_average_the_product_like_the_stations(tmp_path):
    hourly = product()
    places = [(sid, name, lat, lon) for sid, name, lat, lon in STATIONS]
    # stations publishing trailing 24-hour means of the (linear) field itself
    rows = []
    for sid, name, lat, lon in places:
        series = pd.Series(truth(lat, lon, TIMES), index=TIMES)
        rolled = series.rolling(24).mean().dropna()  # full windows: from hour 23 on
        rows += [(sid, name, "", lat, lon, t, v) for t, v in rolled.items()]
    stations = pd.DataFrame(rows, columns=["station", "name", "station_class", "lat", "lon", "time", "pm25"])
    plain = validate({"p": hourly}, stations).overall.iloc[0]
    rolled = validate({"p": hourly}, stations, window="rolling24").overall.iloc[0]
    assert plain["bias"] == pytest.approx(0.5 * 11.5, abs=1e-3)  # the hour leads its 24-hour mean by 11.5 h
    assert rolled["rmse"] == pytest.approx(0.0, abs=1e-3) and rolled["n"] == 3 * (48 - 23)
    # daily means on Rome days (UTC+1): station hours = the field; both averaged alike
    raw = pd.DataFrame(
        [(sid, name, "", lat, lon, t, truth(lat, lon, t)) for sid, name, lat, lon in places for t in TIMES],
        columns=stations.columns,
    )
    daily = validate({"p": hourly}, raw, window="daily", timezone="Europe/Rome")
    pairs = daily.pairs
    assert daily.overall.iloc[0]["rmse"] == pytest.approx(0.0, abs=1e-3)
    assert sorted(pairs["time"].unique()) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02")]
    assert daily.diurnal.empty and not validate({"p": hourly}, raw).diurnal.empty


def test_station_classes_target_diagram_and_json(tmp_path):
    from deepcams.validation import plot_target, target_points

    stations = read_openaq(write_v2(tmp_path / "v2.csv", offset=1.5))
    stations["station_class"] = np.where(stations["name"] == "Alpha", "monitor", "low-cost")
    result = validate({"plane": product(), "shifted": product().map(lambda v: v + 5)}, stations)
    assert set(result.per_class["station_class"]) == {"monitor", "low-cost"}
    assert (
        result.per_class.set_index(["product", "station_class"]).loc[("plane", "low-cost"), "stations"] == 2
    )
    points = target_points(result)
    assert len(points) == 2 * 3 and (points["y"] > 0).all()  # both products above the stations
    np.testing.assert_allclose(points["mqi"], result.per_station["mqi"])
    figure = plot_target(result)
    figure.savefig(tmp_path / "target.png")
    assert (tmp_path / "target.png").stat().st_size > 10_000
    report = json.loads(result.to_json())
    assert {"per_class", "diurnal"} <= set(report) and report["overall"][0]["mqi90"] > 0


def test_black_summer_stations_validate_from_the_packaged_real_file(capsys, tmp_path):
    import deepcams
    from deepcams.validation import open_sample_stations

    stations = open_sample_stations()
    assert stations.attrs["layout"] == "openaq-v1" and stations["station"].nunique() == 31
    result = validate({"CAMS": deepcams.open_sample_cams()}, stations)
    overall = result.overall.iloc[0]
    assert overall["stations"] == 31 and overall["n"] == 31 * 4  # 15, 18, 21, 00 UTC
    assert 0.3 < overall["r"] < 0.8 and overall["bias"] > 100  # CAMS far above the 24-hour means


# --- skill maps and spectra (evaluate --maps) --------------------------------------------------------------


def test_skill_maps_and_power_spectrum_by_hand(tmp_path, capsys):
    from deepcams.metrics import power_spectrum, skill_maps

    times = pd.date_range("2024-01-01", periods=3, freq="h")
    lat, lon = np.arange(40, 45, 0.25), np.arange(5, 10, 0.25)
    base = 10 + np.arange(3)[:, None, None] + 0 * lat[None, :, None] + 0 * lon[None, None, :]
    truth_ds = pm25_dataset(base, times, lat, lon, {})
    pred_ds = pm25_dataset(2 * base + 1, times, lat, lon, {})  # errors 11, 12, 13 at every pixel
    maps = skill_maps(pred_ds, truth_ds)
    assert float(maps["bias"][0, 0]) == pytest.approx(12.0) and maps.attrs["mean_bias"] == pytest.approx(12.0)
    assert float(maps["rmse"][0, 0]) == pytest.approx(np.sqrt((121 + 144 + 169) / 3))
    assert float(maps["r"][3, 4]) == pytest.approx(1.0)
    wave = np.cos(2 * np.pi * 4 * np.arange(lon.size) / lon.size)  # 4 cycles over 5 degrees
    spectrum = power_spectrum(pm25_dataset(np.broadcast_to(wave, base.shape).copy(), times, lat, lon, {}))
    assert float(spectrum.idxmax()) == pytest.approx(4 / 5)  # cycles per degree
    pred, tru = to_netcdf(pred_ds, tmp_path / "p.nc"), to_netcdf(truth_ds, tmp_path / "t.nc")
    assert main(["evaluate", str(pred), str(tru), "--maps", str(tmp_path / "maps.nc")]) == 0
    assert "area-weighted bias 12" in capsys.readouterr().err
    import xarray as xr

    with xr.open_dataset(tmp_path / "maps.nc") as written:
        assert {"bias", "rmse", "r", "spectrum_prediction", "spectrum_truth"} <= set(written)
