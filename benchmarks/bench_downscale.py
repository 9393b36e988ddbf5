"""Speed and memory of the two-stage downscaling: DeepCAMS side by side with bicubic-linear.

Cases: a region of 80 x 45 deg and the globe, one day each (9 CAMS steps -> 25 hourly frames), on the
same input in the same run. Every case runs in a fresh process so its peak resident memory (RSS) is its
own; times are wall-clock of `deepcams.downscale` (the model loads on the first call: that call is timed
apart and then the best of `--repeat` further calls is reported). Also prints the models' cost in
FLOPs per output pixel, and on CUDA the frames per second and the projected 2003-2020 archive time.

    python benchmarks/bench_downscale.py [--repeat 2] [--device auto]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time

import numpy as np
import pandas as pd

REGION = "60,0,140,45"  # 80 x 45 deg (South and East Asia)
TARGETS = {"region": 3.0, "global": 60.0}  # seconds for one day, 2 CPU cores (deepcams)


def one_day():
    """9 three-hourly CAMS-grid fields from the real sample (cycled and shifted to make a day)."""
    import deepcams
    from deepcams.io.conventions import pm25_dataset

    cams = deepcams.open_sample_cams()
    frames = cams["pm25"].values
    values = np.stack([np.roll(frames[k % 4], k // 4, axis=-1) for k in range(9)])
    times = pd.date_range("2020-01-01", periods=9, freq="3h").values.astype("datetime64[ns]")
    return pm25_dataset(values, times, cams["lat"].values, cams["lon"].values, dict(cams.attrs))


def case(method: str, bbox: str | None, repeat: int, device: str, queue) -> None:
    import torch

    import deepcams

    cams = one_day()
    options = {"device": device} if method == "deepcams" else {}
    began = time.perf_counter()
    out = deepcams.downscale(cams, method, bbox=bbox, **options)
    first = time.perf_counter() - began
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        out = deepcams.downscale(cams, method, bbox=bbox, **options)
        times.append(time.perf_counter() - began)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB -> GB
    gpu = torch.cuda.max_memory_allocated() / 1024**3 if torch.cuda.is_available() else None
    queue.put(
        {
            "first_s": first,
            "best_s": min([first, *times]),
            "peak_rss_gb": peak,
            "gpu_gb": gpu,
            "frames": out.sizes["time"],
            "pixels": out.sizes["lat"] * out.sizes["lon"],
            "device": out.attrs.get("device", "cpu"),
        }
    )


def flops_per_pixel() -> dict[str, float]:
    """Model FLOPs per output pixel of an hourly day (deepcams.models.cost: torch's FlopCounterMode)."""
    from deepcams.models.checkpoint import load_checkpoint
    from deepcams.models.cost import spatial_flops_per_pixel, temporal_flops_per_cell
    from deepcams.models.inference import TSR_MEMBERS, default_weights

    ssr, _, _ = load_checkpoint(default_weights("ssr"), stage="ssr")
    tsr, _, _ = load_checkpoint(default_weights("tsr"), stage="tsr")
    spatial = spatial_flops_per_pixel(ssr)
    # the temporal stage runs on the CAMS grid (9 pixels a cell), as the mean of TSR_MEMBERS networks
    temporal = TSR_MEMBERS * temporal_flops_per_cell(tsr) / 9
    return {
        "spatial": spatial,
        "temporal": temporal,
        "total": spatial + temporal,
        "ssr_parameters": sum(p.numel() for p in ssr.parameters()),
        "tsr_parameters": TSR_MEMBERS * sum(p.numel() for p in tsr.parameters()),
        "tsr_members": TSR_MEMBERS,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    ctx = mp.get_context("spawn")
    rows = []
    for name, bbox in (("region", REGION), ("global", None)):
        for method in ("bicubic-linear", "deepcams"):
            queue = ctx.Queue()
            proc = ctx.Process(target=case, args=(method, bbox, args.repeat, args.device, queue))
            proc.start()
            proc.join()
            if proc.exitcode != 0:
                print(f"{method} on {name} failed (exit code {proc.exitcode})", file=sys.stderr)
                return 1
            result = queue.get()
            rows.append(
                {"case": f"{name} ({'80 x 45 deg' if bbox else 'globe'}), 1 day", "method": method, **result}
            )
    table = pd.DataFrame(rows)
    table["Mpixel/s"] = table["frames"] * table["pixels"] / table["best_s"] / 1e6
    print(
        table.drop(columns=["gpu_gb"] if table["gpu_gb"].isna().all() else []).round(3).to_string(index=False)
    )
    for name, limit in TARGETS.items():
        row = table[(table["case"].str.startswith(name)) & (table["method"] == "deepcams")].iloc[0]
        verdict = "meets" if row["best_s"] < limit else "MISSES"
        print(
            f"deepcams {name}: {row['best_s']:.2f} s (target < {limit:g} s: {verdict}); "
            f"peak RSS {row['peak_rss_gb']:.2f} GB (target < 4 GB)"
        )
    cost = flops_per_pixel()
    print(
        f"model cost: {cost['total']:.0f} FLOPs per output pixel (spatial {cost['spatial']:.0f}, temporal "
        f"{cost['temporal']:.0f}, {cost['tsr_members']} networks); parameters: ssr {cost['ssr_parameters']}, "
        f"tsr {cost['tsr_parameters']}"
    )
    glob = table[(table["case"].str.startswith("global")) & (table["method"] == "deepcams")].iloc[0]
    if glob["device"].startswith("cuda"):
        fps = glob["frames"] / glob["best_s"]
        days = (pd.Timestamp("2021-01-01") - pd.Timestamp("2003-01-01")).days
        print(
            f"CUDA: {fps:.1f} global hourly frames/s; 2003-2020 archive ({days} days) "
            f"~{days * glob['best_s'] / 3600:.1f} h of compute"
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"rows": rows, "cost": cost}, handle, indent=2, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
