"""Train the shipped weights (deepcams/data/weights/{tsr,ssr}.safetensors): `make weights`.

One reproducible recipe, sized for 2 CPU cores (about 20-30 minutes): the spatial stage learns from the
real GEOS-CF sample's visible bands, the temporal stage from the same frames coarsened plus the real
CAMS sample (3-hourly) on the same bands. Both validate on the held-out band lon [-60, 0). The synthetic
world is left out: with it the temporal model scored worse than linear interpolation on the real
validation band (docs/model-card.md). Runs resume where they stopped (run folders under runs/).
"""

from __future__ import annotations

import sys

from deepcams.cli import main

WEIGHTS = "deepcams/data/weights"
COMMON = ["--seed", "0", "--quiet"] if "--quiet" in sys.argv else ["--seed", "0"]

RECIPES = {
    "ssr": [
        "--data",
        "sample",
        "--epochs",
        "12",
        "--steps",
        "80",
        "--batch",
        "12",
        "--patch",
        "32",
        "--lr",
        "1e-3",
    ],
    "tsr": [
        "--data",
        "sample",
        "--epochs",
        "8",
        "--steps",
        "60",
        "--batch",
        "8",
        "--patch",
        "48",
        "--lr",
        "1e-3",
    ],
}


def run(stage: str) -> int:
    args = [
        "train",
        stage,
        *RECIPES[stage],
        "--out",
        f"runs/{stage}",
        "--resume",
        "--export",
        f"{WEIGHTS}/{stage}.safetensors",
        *COMMON,
    ]
    print("deepcams " + " ".join(args), flush=True)
    return main(args)


if __name__ == "__main__":
    stages = [a for a in sys.argv[1:] if a in RECIPES] or ["ssr", "tsr"]
    for stage in stages:
        code = run(stage)
        if code:
            sys.exit(code)
