"""Skill per cost of spatial (S-SR) networks: the efficient design against the ABPN-style reference.

For each trained checkpoint: parameters, model FLOPs per output pixel (deepcams.models.cost: torch's
FlopCounterMode, the bicubic base included), CPU seconds for one global frame (tiled, as the
pipeline runs it, torch threads as set), and skill on the held-out real band through the full pipeline
(spatial stage alone, every hourly frame coarsened and brought back, mass conservation on), as in
scripts/evaluate_weights.py (`deepcams.models.training.evaluation`). Usage:

    python scripts/compare_ssr.py runs/ssr-a/model.safetensors runs/ssr-b/model.safetensors ...
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import deepcams as dc
from deepcams.grids import footprint
from deepcams.methods import Method
from deepcams.models import load_checkpoint
from deepcams.models.cost import spatial_flops_per_pixel
from deepcams.models.training.evaluation import held_out_truth, spatial_runs


def global_frame_seconds(method: Method, repeat: int = 2) -> float:
    rng = np.random.default_rng(0)
    frame = np.exp(rng.normal(1.0, 1.0, (1, 241, 480))).astype("float32")
    times = []
    for _ in range(repeat + 1):
        began = time.perf_counter()
        method.spatial.upsample(frame, footprint=footprint(None, halo=0))  # the frame is the globe
        times.append(time.perf_counter() - began)
    return float(np.median(times[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    args = parser.parse_args()

    methods = {"bicubic": "bicubic-nearest"}
    rows = {"bicubic": {"architecture": "bicubic", "config": "", "parameters": 0, "kflops_per_pixel": 0.0}}
    for path in args.checkpoints:
        model, _, meta = load_checkpoint(path, stage="ssr")
        label = Path(path).parent.name if Path(path).name == "model.safetensors" else path
        methods[label] = dc.get_method("deepcams", ssr_weights=path, device="cpu")
        rows[label] = {
            "architecture": meta["architecture"],
            "config": ",".join(f"{k}={v}" for k, v in meta["config"].items()),
            "parameters": sum(p.numel() for p in model.parameters()),
            "kflops_per_pixel": spatial_flops_per_pixel(model) / 1e3,
            "global_frame_s": global_frame_seconds(methods[label]),
            "training_data": " + ".join(meta.get("training", {}).get("data", [])),
        }
    truth = dc.open_sample_geoscf()
    scores = dc.compare(spatial_runs(methods, truth), held_out_truth(truth))
    table = pd.DataFrame(rows).T.infer_objects().join(scores[["mae", "rmse"]])
    table["mae / bicubic"] = table["mae"] / table.loc["bicubic", "mae"]
    table["rmse / bicubic"] = table["rmse"] / table.loc["bicubic", "rmse"]
    table = table.round({"kflops_per_pixel": 1, "global_frame_s": 2, "mae": 4, "rmse": 4})
    table = table.round({"mae / bicubic": 4, "rmse / bicubic": 4})
    print(table.to_string())


if __name__ == "__main__":
    main()
