"""Downloads against local fake servers speaking the providers' protocols and formats (no internet)."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import deepcams
from deepcams.cli import main
from deepcams.download import download_cams, download_geoscf, hourly_urls, month_requests
from deepcams.grids import CAMS, GEOSCF, BBox
from deepcams.io.conventions import pm25_dataset
from deepcams.io.providers import to_cams_netcdf, to_geoscf_netcdf

pytest.importorskip("cdsapi")


def field(times, lat, lon):
    hours = ((pd.DatetimeIndex(times) - pd.Timestamp("2024-01-01")) / pd.Timedelta(hours=1)).to_numpy()
    return 20 + 0.1 * lat[None, :, None] + 0.2 * lon[None, None, :] + 0.01 * hours[:, None, None]


class FakeADS(http.server.BaseHTTPRequestHandler):
    """The ADS's legacy cdsapi protocol: POST /resources/NAME -> completed task -> GET its file."""

    requests: list[dict] = []
    files: dict[str, bytes] = {}
    workdir: Path

    def log_message(self, *args):
        pass

    def _reply(self, code, body: bytes, kind="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.endswith("/status.json"):
            return self._reply(200, b"{}")
        name = self.path.rsplit("/", 1)[-1]
        if name in self.files:
            return self._reply(200, self.files[name], "application/x-netcdf")
        self._reply(404, b'{"message": "not found"}')

    def do_DELETE(self):
        self._reply(200, b"{}")

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.path.endswith("/resources/cams-global-reanalysis-eac4")
        assert self.headers["Authorization"].startswith("Basic ")
        type(self).requests.append(request)
        lo, hi = request["date"][0].split("/")
        times = [pd.Timestamp(f"{d:%Y-%m-%d} {t}") for d in pd.date_range(lo, hi) for t in request["time"]]
        north, west, south, east = request["area"]
        lat = CAMS.lat[(CAMS.lat >= south) & (CAMS.lat <= north)]
        lon = CAMS.lon[(CAMS.lon >= west) & (CAMS.lon <= east)]
        ds = pm25_dataset(field(times, lat, lon), times, lat, lon, {})
        rid = uuid.uuid4().hex
        path = to_cams_netcdf(ds, self.workdir / f"{rid}.nc")
        type(self).files[f"{rid}.nc"] = path.read_bytes()
        reply = {"state": "completed", "request_id": rid, "location": f"/download/{rid}.nc",
                 "content_length": len(self.files[f"{rid}.nc"])}  # fmt: skip
        self._reply(200, json.dumps(reply).encode())


@pytest.fixture
def serve():
    servers = []

    def start(handler):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_month_requests_split_by_month_in_ads_terms():
    requests = month_requests("2024-01-30", "2024-03-31", BBox.parse("5,40,15,50"))
    assert [name for name, _ in requests] == [
        "cams_eac4_pm2p5_202401_30-31.nc",
        "cams_eac4_pm2p5_202402.nc",
        "cams_eac4_pm2p5_202403.nc",
    ]
    first = requests[0][1]
    assert first["variable"] == ["particulate_matter_2.5um"] and first["date"] == ["2024-01-30/2024-01-31"]
    assert first["time"] == ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]
    assert first["area"] == [50, 5, 40, 15] and requests[1][1]["date"] == ["2024-02-01/2024-02-29"]
    with pytest.raises(deepcams.DeepcamsError, match="2003-01-01"):
        month_requests("2002-12-01", "2003-01-02")


def test_cams_download_through_cdsapi_against_a_fake_ads(serve, tmp_path, monkeypatch):
    FakeADS.workdir = tmp_path
    FakeADS.requests = []
    url = serve(FakeADS)
    monkeypatch.setenv("CDSAPI_URL", f"{url}/api")
    monkeypatch.setenv("CDSAPI_KEY", "12345:00000000-test-key")
    out = tmp_path / "cams"
    assert main(["download", "cams", "--start", "2024-01-31", "--end", "2024-02-02", "--bbox", "5,40,15,50",
                 "-o", str(out)]) == 0  # fmt: skip
    assert [r["date"] for r in FakeADS.requests] == [["2024-01-31/2024-01-31"], ["2024-02-01/2024-02-02"]]
    files = sorted(out.glob("*.nc"))
    assert [f.name for f in files] == ["cams_eac4_pm2p5_202401_31-31.nc", "cams_eac4_pm2p5_202402_01-02.nc"]
    ds = deepcams.open_cams(files)
    assert ds.sizes["time"] == 3 * 8 and ds["pm25"].attrs["units"] == "ug m-3"
    np.testing.assert_allclose(
        ds["pm25"].values, field(ds["time"].values, ds["lat"].values, ds["lon"].values), rtol=1e-5
    )
    # a rerun asks for nothing again
    download_cams("2024-01-31", "2024-02-02", out, bbox="5,40,15,50", log=lambda s: None)
    assert len(FakeADS.requests) == 2
    assert not list(out.glob(".*"))


def test_cams_download_without_credentials_says_how_to_set_them(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CDSAPI_URL", raising=False)
    monkeypatch.delenv("CDSAPI_KEY", raising=False)
    monkeypatch.setenv("CDSAPI_RC", str(tmp_path / "missing.cdsapirc"))
    assert (
        main(["download", "cams", "--start", "2024-01-01", "--end", "2024-01-02", "-o", str(tmp_path)]) == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: no ADS credentials") and ".cdsapirc" in err and len(err.splitlines()) == 1


def portal(root: Path, day: str, region=(40.0, 45.0, 5.0, 10.0), skip_hour=None) -> None:
    """A directory laid out like the NCCS portal, with one GEOS-CF file per hour (stamped HH:30, with `lev`)."""
    south, north, west, east = region
    lat = GEOSCF.lat[(GEOSCF.lat >= south) & (GEOSCF.lat <= north)]
    lon = GEOSCF.lon[(GEOSCF.lon >= west) & (GEOSCF.lon <= east)]
    for hour, url in enumerate(hourly_urls(day, base_url=str(root))):
        if hour == skip_hour:
            continue
        time = pd.Timestamp(day) + pd.Timedelta(hours=hour)
        ds = pm25_dataset(field([time], lat, lon), [time], lat, lon, {})
        path = Path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        to_geoscf_netcdf(ds, path.with_suffix(".tmp"))
        with xr.open_dataset(path.with_suffix(".tmp")) as raw:
            raw.expand_dims(lev=[72.0], axis=1).load().to_netcdf(path)  # surface files carry a one-level lev
        path.with_suffix(".tmp").unlink()


def test_geoscf_download_over_http_keeps_pm25_per_day(serve, tmp_path):
    root = tmp_path / "portal"
    portal(root, "2024-03-01")
    portal(root, "2024-03-02", skip_hour=5)  # an hour the portal lacks
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    url = serve(handler)
    out = tmp_path / "geoscf"
    lines = []
    done, failed = download_geoscf(
        "2024-03-01", "2024-03-02", out, bbox="6,41,9,44", base_url=url, log=lines.append
    )
    assert [p.name for p in done] == ["GEOS-CF.v01.rpl.chm_tavg_1hr_g1440x721_v1.PM25_RH35_GCC.20240301.nc"]
    assert (
        list(failed) == ["2024-03-02"]
        and "HTTP 404" in failed["2024-03-02"]
        and "_0530z.nc4" in failed["2024-03-02"]
    )
    ds = deepcams.open_geoscf(done[0])
    assert ds.sizes["time"] == 24 and ds.sizes["lat"] == 13 and ds.sizes["lon"] == 13
    assert pd.Timestamp(ds["time"].values[0]) == pd.Timestamp(
        "2024-03-01T00:00"
    )  # HH:30 means, start-labelled
    np.testing.assert_allclose(
        ds["pm25"].values, field(ds["time"].values, ds["lat"].values, ds["lon"].values), rtol=1e-5
    )
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    code = main(["download", "geoscf", "--start", "2024-03-01", "--end", "2024-03-02", "--bbox", "6,41,9,44",
                 "--base-url", url, "-o", str(out)])  # fmt: skip
    assert code == 3  # day 1 skipped as present, day 2 still lacks an hour


class FakeOpenAQ(http.server.BaseHTTPRequestHandler):
    """The OpenAQ v3 API: /v3/locations by bbox, /v3/sensors/{id}/hours, paged; one 429 first."""

    requests: list[str] = []
    limited = True
    LOCATIONS = [
        {"id": 1, "name": "Monash", "isMonitor": True, "coordinates": {"latitude": -35.42, "longitude": 149.09},
         "sensors": [{"id": 11, "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}},
                     {"id": 12, "parameter": {"id": 3, "name": "o3", "units": "ppm"}}]},
        {"id": 2, "name": "Backyard", "isMonitor": False, "coordinates": {"latitude": -35.3, "longitude": 149.1},
         "sensors": [{"id": 21, "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}]},
    ]  # fmt: skip

    def log_message(self, *args):
        pass

    def _reply(self, code, payload, headers=()):
        body = json.dumps(payload).encode()
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        from urllib.parse import parse_qs, urlparse

        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).requests.append(self.path)
        if self.headers.get("X-API-Key") != "test-key":
            return self._reply(401, {"detail": "invalid key"})
        if type(self).limited:
            type(self).limited = False
            return self._reply(429, {"detail": "slow down"}, [("Retry-After", "0")])
        limit, page = int(query["limit"]), int(query["page"])
        if url.path == "/v3/locations":
            assert query["bbox"] == "148,-36,150,-35" and query["parameters_id"] == "2"
            results = self.LOCATIONS
        elif url.path.startswith("/v3/sensors/") and url.path.endswith("/hours"):
            sensor = int(url.path.split("/")[3])
            hours = pd.date_range(query["datetime_from"], query["datetime_to"], freq="h", inclusive="right")
            results = [{"value": float(sensor + k), "period": {"datetimeTo": {"utc": f"{t:%Y-%m-%dT%H:%M:%SZ}"}}}
                       for k, t in enumerate(hours)]  # fmt: skip
        else:
            return self._reply(404, {"detail": "not found"})
        self._reply(
            200, {"meta": {"found": len(results)}, "results": results[(page - 1) * limit : page * limit]}
        )


def test_openaq_download_against_a_fake_v3_api(serve, tmp_path, monkeypatch, capsys):
    from deepcams.download import openaq
    from deepcams.validation import read_stations

    url = serve(FakeOpenAQ)
    monkeypatch.setattr(openaq, "PAGE", 7)  # several pages per sensor
    monkeypatch.setenv("OPENAQ_API_KEY", "test-key")
    out = tmp_path / "stations.csv"
    args = ["download", "openaq", "--start", "2020-01-01", "--end", "2020-01-01", "--bbox", "148,-36,150,-35",
            "--api-url", f"{url}/v3", "-o", str(out)]  # fmt: skip
    assert main(args) == 0
    assert any("/v3/sensors/11/hours" in r and "page=4" in r for r in FakeOpenAQ.requests)
    assert not any("/sensors/12/" in r for r in FakeOpenAQ.requests)  # ozone is not asked for
    table = read_stations(out)
    assert table.attrs["layout"] == "openaq-v3" and len(table) == 2 * 24
    assert dict(table.groupby("station")["station_class"].first()) == {"1": "monitor", "2": "low-cost"}
    assert table["time"].min() == pd.Timestamp("2020-01-01T01:00") and table["pm25"].iloc[0] == 11.0
    capsys.readouterr()
    assert main([*args[:-1], str(tmp_path / "monitors.csv"), "--sensors", "monitors"]) == 0
    assert set(read_stations(tmp_path / "monitors.csv")["name"]) == {"Monash"}
    monkeypatch.setenv("OPENAQ_API_KEY", "wrong")
    assert main(args) == 2
    assert (
        capsys.readouterr().err.splitlines()[-1]
        == "error: OpenAQ refused the API key in OPENAQ_API_KEY (HTTP 401)"
    )
    monkeypatch.delenv("OPENAQ_API_KEY")
    assert main(args) == 2
    assert "no OpenAQ API key: set OPENAQ_API_KEY" in capsys.readouterr().err
