"""Station PM2.5 from the OpenAQ v3 API (v1 and v2 are retired) into one CSV that `validate` reads.

Locations with a PM2.5 sensor inside the bbox (`/v3/locations`), then each sensor's hourly means
(`/v3/sensors/{id}/hours`), page by page. The key comes from the environment (`OPENAQ_API_KEY`), never from
the command line. Each row keeps OpenAQ's `isMonitor` flag (reference-grade monitor vs low-cost sensor) as
`is_monitor`; a row's time is the end of its hour, in UTC. Rate limits (HTTP 429) are waited out.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from deepcams.errors import DeepcamsError
from deepcams.grids import BBox
from deepcams.io.writers import write_atomically

API_URL = "https://api.openaq.org/v3"
KEY_VARIABLE = "OPENAQ_API_KEY"
PM25 = 2  # OpenAQ's parameter id of PM2.5 (ug m-3)
PAGE = 1000  # the API's largest page
RETRIES = 5
COLUMNS = ["location_id", "sensors_id", "location", "datetime", "lat", "lon", "parameter", "units", "value",
           "is_monitor"]  # fmt: skip


def _get(url: str, key: str, timeout: float = 60.0) -> dict:
    for attempt in range(RETRIES):
        request = urllib.request.Request(url, headers={"X-API-Key": key, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 429 and attempt < RETRIES - 1:  # rate limited: wait as told, then retry
                time.sleep(min(float(exc.headers.get("Retry-After") or 2 ** (attempt + 1)), 60.0))
                continue
            if exc.code in (401, 403):
                raise DeepcamsError(
                    f"OpenAQ refused the API key in {KEY_VARIABLE} (HTTP {exc.code})"
                ) from None
            raise DeepcamsError(f"OpenAQ answered HTTP {exc.code} for {url.split('?')[0]}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DeepcamsError(f"cannot reach OpenAQ at {url.split('?')[0]}: {exc}") from None
    raise DeepcamsError(f"OpenAQ kept rate-limiting {url.split('?')[0]}; try again later")


def _pages(url: str, params: dict, key: str) -> Iterator[dict]:
    page = 1
    while True:
        reply = _get(f"{url}?{urllib.parse.urlencode(params | {'limit': PAGE, 'page': page})}", key)
        results = reply.get("results") or []
        yield from results
        if len(results) < PAGE:
            return
        page += 1


def download_openaq(
    start,
    end,
    output: str | os.PathLike,
    *,
    bbox: BBox | str,
    monitors: bool | None = None,
    api_url: str = API_URL,
    log: Callable[[str], None] = print,
) -> Path:
    """Hourly PM2.5 of every location in `bbox` from start to end (days included) into the CSV `output`.

    `monitors=True` keeps reference-grade monitors only, `False` low-cost sensors only, None both.
    """
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise DeepcamsError(
            f"no OpenAQ API key: set {KEY_VARIABLE} (a free key comes with an account on explore.openaq.org)"
        )
    bbox = BBox.parse(bbox)
    if bbox is None:
        raise DeepcamsError("OpenAQ downloads need a --bbox W,S,E,N")
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    if first >= last:
        raise DeepcamsError(f"start {first.date()} is after end {pd.Timestamp(end).date()}")
    base = api_url.rstrip("/")
    area = {"bbox": f"{bbox.west:g},{bbox.south:g},{bbox.east:g},{bbox.north:g}", "parameters_id": PM25}
    locations = [
        place for place in _pages(f"{base}/locations", area, key)
        if monitors is None or bool(place.get("isMonitor")) == monitors
    ]  # fmt: skip
    log(f"{len(locations)} locations with PM2.5 in {bbox}")
    window = {"datetime_from": f"{first:%Y-%m-%dT%H:%M:%SZ}", "datetime_to": f"{last:%Y-%m-%dT%H:%M:%SZ}"}
    rows = []
    for place in locations:
        where = place.get("coordinates") or {}
        for sensor in place.get("sensors") or []:
            parameter = sensor.get("parameter") or {}
            if parameter.get("id") != PM25:
                continue
            count = 0
            for hour in _pages(f"{base}/sensors/{sensor['id']}/hours", window, key):
                end_of_hour = ((hour.get("period") or {}).get("datetimeTo") or {}).get("utc")
                if end_of_hour is None or hour.get("value") is None:
                    continue
                rows.append([place["id"], sensor["id"], place.get("name", ""), end_of_hour, where.get("latitude"),
                             where.get("longitude"), "pm25", parameter.get("units", ""), hour["value"],
                             bool(place.get("isMonitor"))])  # fmt: skip
                count += 1
            log(f"{place.get('name', place['id'])} (sensor {sensor['id']}): {count} hours")
    if not rows:
        raise DeepcamsError(
            f"OpenAQ has no PM2.5 hours in {bbox} from {first.date()} to {pd.Timestamp(end).date()}"
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    output = Path(output)
    write_atomically(output, lambda tmp: table.to_csv(tmp, index=False))
    return output
