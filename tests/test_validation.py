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
    assert csv[0] == "product,station,name,n,r,rmse,mae,bias,nmb,nme,mfb,mfe,fac2,ioa,mqi" and csv[1].startswith("fine,ALL,")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    assert main(["validate", "--stations", str(bad), str(fine)]) == 2
    assert "error: " in capsys.readouterr().err
