"""Production throughput: global days per hour through `deepcams produce` on a LocalCluster of 1 and 2 workers.

Input: `--days` + 1 global CAMS EAC4 daily files (CAMS conventions) built from the packaged real sample
(its four frames cycled and shifted, so the values and their compressibility are real ones). Each run starts
its own LocalCluster and writes a fresh archive; the time is the run loop's (workers started, imports done
once per worker), and per-day cost is workers x seconds / days. The projection for the paper's 2003-2020
archive (6575 days) assumes the per-day cost measured with one worker, on N such workers.

    python benchmarks/bench_production.py [--days 6] [--workers 1 2] [--method bicubic-linear]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ARCHIVE_DAYS = len(pd.date_range("2003-01-01", "2020-12-31", freq="D"))  # 6575


def write_inputs(directory: Path, days: int) -> None:
    import deepcams
    from deepcams.io.conventions import pm25_dataset
    from deepcams.io.providers import to_cams_netcdf

    cams = deepcams.open_sample_cams()
    frames = cams["pm25"].values
    for day in range(days + 1):
        times = pd.date_range("2020-01-01", periods=8, freq="3h") + pd.Timedelta(days=day)
        values = np.stack([np.roll(frames[(8 * day + k) % 4], (8 * day + k) // 4, axis=-1) for k in range(8)])
        ds = pm25_dataset(values, times.values, cams["lat"].values, cams["lon"].values, dict(cams.attrs))
        to_cams_netcdf(ds, directory / f"cams_{times[0]:%Y%m%d}.nc")


def run(directory: Path, days: int, workers: int, method: str) -> dict:
    from deepcams.production import produce, verify_archive

    store = directory / f"archive-{workers}.zarr"
    end = (pd.Timestamp("2020-01-01") + pd.Timedelta(days=days - 1)).strftime("%Y-%m-%d")
    report = produce(str(directory / "cams_*.nc"), store, "2020-01-01", end, method=method, workers=workers,
                     log=lambda line: None)  # fmt: skip
    assert report.complete, report.failed
    assert verify_archive(store).ok
    size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
    shutil.rmtree(store)
    return {
        "workers": workers,
        "days": days,
        "seconds": round(report.seconds, 1),
        "days_per_hour": round(report.days_per_hour, 1),
        "seconds_per_day_per_worker": round(workers * report.seconds / days, 2),
        "archive_bytes_per_day": int(size / days),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--method", default="bicubic-linear")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-production-") as tmp:
        directory = Path(tmp)
        write_inputs(directory, args.days)
        results = []
        for workers in args.workers:
            started = time.monotonic()
            result = run(directory, args.days, workers, args.method)
            result["wall_with_cluster_start"] = round(time.monotonic() - started, 1)
            results.append(result)
            print(json.dumps(result), flush=True)
    one = next((r for r in results if r["workers"] == 1), results[0])
    cost = one["seconds_per_day_per_worker"]
    print(f"\nmethod {args.method}; measured per global day: {cost:.1f} worker-seconds, "
          f"{one['archive_bytes_per_day'] / 1e6:.0f} MB stored")  # fmt: skip
    print(
        f"projection for 2003-2020 ({ARCHIVE_DAYS} days, {ARCHIVE_DAYS * one['archive_bytes_per_day'] / 1e12:.2f} TB):"
    )
    for n in (1, 2, 16, 64, 256):
        hours = ARCHIVE_DAYS * cost / n / 3600
        print(f"  {n:4d} CPU workers like these: {hours:8.1f} h")


if __name__ == "__main__":
    main()
