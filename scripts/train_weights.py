"""Train the shipped weights (deepcams/data/weights/{tsr,ssr}.safetensors): `make weights`.

One reproducible recipe, sized for 2 CPU cores (about 10 minutes on free cores): both stages learn from
the real GEOS-CF sample's two training bands plus the synthetic world (whole globe, 4 days, seed 0),
which yields a fixed share of the training patches; the temporal stage also from the real CAMS sample
(3-hourly) on the same bands. Both validate on the held-out real band lon [-60, 0). The shares and the
optimisation settings were chosen by band cross-validation (scripts/cross_validate.py,
docs/model-card.md). Runs resume where they stopped (run folders under runs/).
"""

from __future__ import annotations

import sys

from deepcams.cli import main

WEIGHTS = "deepcams/data/weights"

RECIPES = {
    "ssr": {
        "model": {"architecture": "ssr-abpn", "channels": 16, "stages": 2},
        "synthetic_share": 0.2,
        "optimisation": {"epochs": 24, "steps": 100, "batch": 16, "patch": 32, "lr": 1e-3},
    },
    "tsr": {
        "model": {"architecture": "tsr-flow", "channels": 24, "scales": 3},
        "synthetic_share": 0.25,
        "optimisation": {"epochs": 8, "steps": 60, "batch": 8, "patch": 48, "lr": 1e-3},
    },
}


def model_options(model: dict) -> list[str]:
    """`deepcams train` options for an architecture and its hyperparameters."""
    options = ["--architecture", model["architecture"]]
    for key, value in model.items():
        if key != "architecture":
            options += ["--channels", str(value)] if key == "channels" else ["--hyper", f"{key}={value}"]
    return options


def optimisation_options(settings: dict) -> list[str]:
    return [option for key, value in settings.items() for option in (f"--{key}", f"{value:g}")]


def run(stage: str, quiet: bool) -> int:
    recipe = RECIPES[stage]
    args = ["train", stage, *model_options(recipe["model"])]
    args += ["--data", "sample", "synthetic", "--synthetic-share", f"{recipe['synthetic_share']:g}"]
    args += optimisation_options(recipe["optimisation"])
    args += [
        "--out",
        f"runs/{stage}",
        "--resume",
        "--seed",
        "0",
        "--export",
        f"{WEIGHTS}/{stage}.safetensors",
    ]
    args += ["--quiet"] if quiet else []
    print("deepcams " + " ".join(args), flush=True)
    return main(args)


if __name__ == "__main__":
    stages = [a for a in sys.argv[1:] if a in RECIPES] or ["ssr", "tsr"]
    for stage in stages:
        code = run(stage, quiet="--quiet" in sys.argv)
        if code:
            sys.exit(code)
