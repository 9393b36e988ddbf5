"""Speed and memory of the deep ensemble: `deepcams-ensemble` (5 members) on the region day of
bench_downscale.py (80 x 45 deg, 9 CAMS steps -> 25 hourly frames), beside one deepcams member.

Each method runs in a fresh process (its own peak RSS); the first call (loading the weights) is timed apart,
then the best of `--repeat` further calls is reported. Target: the 5-member region day under 5 s on 2 CPU
cores (docs/benchmarks.md).

    python benchmarks/bench_ensemble.py [--repeat 2] [--device auto]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time

import pandas as pd
from bench_downscale import REGION, one_day

TARGET_S = 5.0


def case(method: str, repeat: int, device: str, queue) -> None:
    import deepcams

    cams = one_day()
    began = time.perf_counter()
    deepcams.downscale(cams, method, bbox=REGION, device=device)
    first = time.perf_counter() - began
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        out = deepcams.downscale(cams, method, bbox=REGION, device=device)
        times.append(time.perf_counter() - began)
    queue.put(
        {
            "method": method,
            "first_s": first,
            "best_s": min(times or [first]),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
            "device": out.attrs.get("device", "cpu"),
        }
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    ctx = mp.get_context("spawn")
    rows = []
    for method in ("deepcams", "deepcams-ensemble"):
        queue = ctx.Queue()
        proc = ctx.Process(target=case, args=(method, args.repeat, args.device, queue))
        proc.start()
        proc.join()
        if proc.exitcode != 0:
            print(f"{method} failed (exit code {proc.exitcode})", file=sys.stderr)
            return 1
        rows.append(queue.get())
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    best = table.set_index("method").loc["deepcams-ensemble", "best_s"]
    verdict = "meets" if best < TARGET_S else "MISSES"
    print(f"5-member ensemble, region day: {best:.2f} s (target < {TARGET_S:g} s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
