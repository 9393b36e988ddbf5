"""The temporal stage on real hourly sequences it did not train on (docs/model-card.md).

- GEOS-Chem over Europe, 2005-01-22 (the last day of the 72-hour sequence; `make weights` trains on the
  two days before it), regridded to the CAMS 0.75 deg nodes;
- GEOS-CF at 20 pixels of North Carolina, 2018-01-01 (never used in training or in choosing the recipe).

Each sequence keeps every 3rd hour as input (all three phases) and is scored on the hours between.
The files are read from the shared data folder (`--realworld`); they are not part of the package.
Usage: python scripts/evaluate_tsr.py [--realworld ../shared/data/realworld] [--tsr-weights FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import deepcams as dc
from deepcams.io import open_geoscf
from deepcams.metrics import scores
from deepcams.models.training.evaluation import sequence_runs
from deepcams.recipes import SEQUENCE_HELD_OUT_HOURS
from deepcams.sources.training import hourly_sequence

EUROPE = "geoschem-europe-2005-01/PM25.1h.JAN.OFF.nc4"
CAROLINA = "geoscf-north-carolina-2018-01-01/*.nc4"


def table(runs: dict) -> pd.DataFrame:
    rows = {name: scores(pred.ravel(), truth.ravel()) for name, (pred, truth) in runs.items()}
    frame = pd.DataFrame(rows).T[["rmse", "mae", "r"]]
    frame["rmse / linear"] = frame["rmse"] / frame.loc["linear", "rmse"]
    frame["mae / linear"] = frame["mae"] / frame.loc["linear", "mae"]
    return frame.round(4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--realworld", default=str(Path(__file__).resolve().parents[2] / "shared/data/realworld")
    )
    parser.add_argument("--tsr-weights", help="T-SR weights to score (default: the shipped ones)")
    args = parser.parse_args()
    root = Path(args.realworld)
    options = {"tsr_weights": args.tsr_weights} if args.tsr_weights else {}
    methods = {
        "linear": dc.get_method("bicubic-linear"),
        "pchip": dc.get_method("bicubic-pchip"),
        "cubic": dc.get_method("bicubic-cubic"),
        "deepcams": dc.get_method("deepcams", **options),
    }
    europe = hourly_sequence(str(root / EUROPE)).data
    held_out = europe.isel(time=slice(europe.sizes["time"] - SEQUENCE_HELD_OUT_HOURS - 3, None))
    print("## GEOS-Chem Europe, 2005-01-22 (held out), CAMS nodes\n")
    print(table(sequence_runs(methods, held_out)).to_string())
    carolina = open_geoscf(sorted(root.glob(CAROLINA)), variable="PM25_RH35_GCC_lev=72")
    print("\n## GEOS-CF North Carolina, 2018-01-01, 20 pixels (never trained on)\n")
    result = table(sequence_runs(methods, carolina))
    print(result.to_string())
    assert np.isfinite(result.values).all()


if __name__ == "__main__":
    main()
