"""Speed and memory of the deep ensemble: `deepcams-ensemble` (5 members) on the region day of
bench_downscale.py (80 x 45 deg, 9 CAMS steps -> 25 hourly frames), beside one deepcams member.

Each method runs in a fresh process (its own peak RSS); the first call (loading the weights) is timed apart,
then the best of `--repeat` further calls is reported. Target: the 5-member region day under 5 s on 2 CPU
cores (docs/benchmarks.md).

The floor: the S-SR network's floating-point work on the region's block (halo included), counted by
torch's FlopCounterMode, and the time of one forward pass, one frame and five frames in a call (what
batching members on the CPU could gain); the members' S-SR alone then costs members x frames x that time.
The ensemble runs three ways: as the device's default, member by member, and with the members batched in
each network call (`batch_members=True`, the default on CUDA).

    python benchmarks/bench_ensemble.py [--repeat 2] [--device auto]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time

import numpy as np
import pandas as pd
from bench_downscale import REGION, one_day

TARGET_S = 5.0


def case(method: str, repeat: int, device: str, batch_members: bool | None, queue) -> None:
    import deepcams

    options = {} if batch_members is None else {"batch_members": batch_members}

    cams = one_day()
    began = time.perf_counter()
    deepcams.downscale(cams, method, bbox=REGION, device=device, **options)
    first = time.perf_counter() - began
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        out = deepcams.downscale(cams, method, bbox=REGION, device=device, **options)
        times.append(time.perf_counter() - began)
    queue.put(
        {
            "method": method,
            "members": {None: "", True: "batched", False: "one by one"}[batch_members],
            "first_s": first,
            "best_s": min(times or [first]),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
            "device": out.attrs.get("device", "cpu"),
        }
    )


def floor(device: str, queue) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from deepcams.grids import BBox, footprint
    from deepcams.methods import get_method
    from deepcams.recipes import ENSEMBLE_SIZE

    spatial = get_method("deepcams", device=device).spatial
    region = footprint(BBox.parse(REGION))
    h, w = (region.coarse_lat.size + 2 * spatial.halo, region.coarse_lon.size + 2 * spatial.halo)
    frames = 1 + (one_day().sizes["time"] - 1) * 3
    one = np.random.default_rng(0).random((1, h, w), dtype="float32")
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        spatial._run(one, None)
    timed = {}
    for batch in (1, ENSEMBLE_SIZE):
        x = np.repeat(one, batch, axis=0)
        spatial._run(x, None)
        began = time.perf_counter()
        for _ in range(5):
            spatial._run(x, None)
        timed[batch] = (time.perf_counter() - began) / 5 / batch
    queue.put(
        {
            "block": f"{h} x {w} cells",
            "gflop_per_frame": counter.get_total_flops() / 1e9,
            "s_per_frame": timed[1],
            "s_per_frame_batched": timed[ENSEMBLE_SIZE],
            "gflop_per_s": counter.get_total_flops() / 1e9 / timed[1],
            "ensemble_ssr_s": ENSEMBLE_SIZE * frames * timed[1],
        }
    )


def in_fresh_process(target, *args) -> dict | None:
    """`target(*args, queue)` in a spawned process (its own peak RSS); what it put, None if it failed."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    proc.join()
    return queue.get() if proc.exitcode == 0 else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    rows = []
    # the ensemble as the device's default runs it, then both ways (batched: the CUDA default)
    cases = [
        ("deepcams", None),
        ("deepcams-ensemble", None),
        ("deepcams-ensemble", False),
        ("deepcams-ensemble", True),
    ]
    for method, batched in cases:
        row = in_fresh_process(case, method, args.repeat, args.device, batched)
        if row is None:
            print(f"{method} failed", file=sys.stderr)
            return 1
        rows.append(row)
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    work = in_fresh_process(floor, args.device)
    if work is None:
        print("the floor's measurement failed", file=sys.stderr)
        return 1
    print(
        f"S-SR on the region's block ({work['block']}): {work['gflop_per_frame']:.2f} GFLOP a frame, "
        f"{1000 * work['s_per_frame']:.1f} ms a frame ({work['gflop_per_s']:.0f} GFLOP/s), "
        f"{1000 * work['s_per_frame_batched']:.1f} ms a frame with 5 frames a call; "
        f"the 5 members' S-SR alone: {work['ensemble_ssr_s']:.2f} s"
    )
    best = table[(table["method"] == "deepcams-ensemble") & (table["members"] == "")]["best_s"].iloc[0]
    verdict = "meets" if best < TARGET_S else "MISSES"
    print(f"5-member ensemble, region day: {best:.2f} s (target < {TARGET_S:g} s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
