"""Train the deep ensemble's members (deepcams/data/weights/ensemble/{tsr,ssr}-K.safetensors): `make ensemble`.

Member 0 is the shipped weights (`make weights`); members 1 .. ENSEMBLE_SIZE - 1 are the same recipes
(`deepcams.recipes.member_recipe`) with seeds 1 .. 4: other initialisations and batch orders on the same
data and split. Runs resume where they stopped (run folders runs/ensemble/<stage>-K).
Usage: python scripts/train_ensemble.py [--members 1 2 ...] [--stages ssr tsr] [--quiet]
"""

from __future__ import annotations

import argparse

from deepcams.errors import DeepcamsError
from deepcams.models import member_weights
from deepcams.models.training import train_recipe
from deepcams.recipes import ENSEMBLE_SIZE, SHIPPED, member_recipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", nargs="*", type=int, default=list(range(1, ENSEMBLE_SIZE)))
    parser.add_argument("--stages", nargs="*", choices=list(SHIPPED), default=list(SHIPPED))
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args()
    for member in args.members:
        if not 1 <= member < ENSEMBLE_SIZE:
            parser.error(f"member {member}: choose 1 .. {ENSEMBLE_SIZE - 1} (member 0 is `make weights`)")
    for member in args.members:
        for stage in args.stages:
            recipe = member_recipe(stage, member)
            print(f"training {stage} member {member}: {recipe}", flush=True)
            try:
                train_recipe(
                    recipe,
                    f"runs/ensemble/{stage}-{member}",
                    resume=True,
                    progress=not args.quiet,
                    export=member_weights(stage, member),
                )
            except DeepcamsError as exc:
                raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()
