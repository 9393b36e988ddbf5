"""Train the shipped weights (deepcams/data/weights/{tsr,ssr}.safetensors): `make weights`.

The recipes are `deepcams.recipes.SHIPPED`, sized for 2 CPU cores. The spatial stage learns from the real
GEOS-CF sample's two training bands plus the synthetic world (whole globe, 4 days, seed
`deepcams.recipes.SYNTHETIC_SEED`, never the demo's) at a fixed share of the training patches, and validates
on the held-out real band (`deepcams.recipes.SHIPPED_SPLIT`). The temporal stage learns from real hourly
sequences (72 hours of GEOS-Chem over Europe, read from ../shared and split in time: its last day is held
out; the real sample's bands) plus the synthetic world. Runs resume where they stopped (run folders under
runs/). Usage: python scripts/train_weights.py [ssr] [tsr] [--quiet]
"""

from __future__ import annotations

import argparse

from deepcams.errors import DeepcamsError
from deepcams.models import default_weights
from deepcams.models.training import SHIPPED, train_recipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stages", nargs="*", metavar="STAGE", help="ssr and/or tsr (default: both)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args()
    for stage in args.stages or list(SHIPPED):
        if stage not in SHIPPED:
            parser.error(f"unknown stage {stage!r}; choose from {', '.join(SHIPPED)}")
        print(f"training {stage}: {SHIPPED[stage]}", flush=True)
        try:
            train_recipe(
                SHIPPED[stage],
                f"runs/{stage}",
                resume=True,
                progress=not args.quiet,
                export=default_weights(stage),
            )
        except DeepcamsError as exc:
            raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()
