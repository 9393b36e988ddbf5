"""Skill per cost of spatial (S-SR) networks: the efficient design against the ABPN-style reference.

For each trained checkpoint: parameters, model FLOPs per output pixel (deepcams.models.cost: torch's
FlopCounterMode, the bicubic base included), CPU seconds for one global frame (tiled, as the
pipeline runs it, torch threads as set), and skill on the held-out real band through the full pipeline
(spatial stage alone, every hourly frame coarsened and brought back, mass conservation on), as in
scripts/evaluate_weights.py. Usage:

    python scripts/compare_ssr.py runs/ssr-a/model.safetensors runs/ssr-b/model.safetensors ...
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import deepcams as dc
from deepcams.grids import coarsen
from deepcams.metrics import compare
from deepcams.models.checkpoint import load_checkpoint
from deepcams.models.cost import spatial_flops_per_pixel
from deepcams.models.inference import deepcams_method

sys.path.insert(0, str(Path(__file__).parent))
from evaluate_weights import VAL_BBOX  # noqa: E402  the held-out band less the halo


def global_frame_seconds(path: str, repeat: int = 2) -> float:
    method = deepcams_method(ssr_weights=path, device="cpu")
    rng = np.random.default_rng(0)
    frame = np.exp(rng.normal(1.0, 1.0, (1, 241, 480))).astype("float32")
    times = []
    for _ in range(repeat + 1):
        began = time.perf_counter()
        method.spatial.upsample(frame)
        times.append(time.perf_counter() - began)
    return float(np.median(times[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    args = parser.parse_args()

    truth = dc.open_sample_geoscf()
    region = dc.select_region(truth, VAL_BBOX)
    coarse = coarsen(truth)
    runs = {"bicubic": dc.downscale(coarse, "bicubic-nearest", bbox=VAL_BBOX)}
    rows = {"bicubic": {"architecture": "bicubic", "config": "", "parameters": 0, "kflops_per_pixel": 0.0}}
    for path in args.checkpoints:
        model, _, meta = load_checkpoint(path, stage="ssr")
        label = Path(path).parent.name if Path(path).name == "model.safetensors" else path
        runs[label] = dc.downscale(coarse, deepcams_method(ssr_weights=path, device="cpu"), bbox=VAL_BBOX)
        rows[label] = {
            "architecture": meta["architecture"],
            "config": ",".join(f"{k}={v}" for k, v in meta["config"].items()),
            "parameters": sum(p.numel() for p in model.parameters()),
            "kflops_per_pixel": spatial_flops_per_pixel(model) / 1e3,
            "global_frame_s": global_frame_seconds(path),
            "training_data": " + ".join(meta.get("training", {}).get("data", [])),
        }
    scores = compare(runs, region)
    table = pd.DataFrame(rows).T.infer_objects().join(scores[["mae", "rmse"]])
    table["mae / bicubic"] = table["mae"] / table.loc["bicubic", "mae"]
    table["rmse / bicubic"] = table["rmse"] / table.loc["bicubic", "rmse"]
    table = table.round({"kflops_per_pixel": 1, "global_frame_s": 2, "mae": 4, "rmse": 4})
    table = table.round({"mae / bicubic": 4, "rmse / bicubic": 4})
    print(table.to_string())


if __name__ == "__main__":
    main()
