"""The Black Summer station validation of docs/validation.md: table and FAIRMODE target diagram.

CAMS (the real sample, 2019-12-31 15 UTC .. 2020-01-01 00 UTC), bicubic-linear and deepcams (the shipped
weights) against the packaged OpenAQ stations (`deepcams.validation.open_sample_stations`). Writes
docs/img/validation_black_summer_target.png and rewrites the table between the markers in
docs/validation.md. Rerun after retraining the weights:

    .venv/bin/python scripts/validation_figures.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import deepcams
from deepcams.validation import SAMPLE_ATTRIBUTION, open_sample_stations, plot_target, validate

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "validation.md"
FIGURE = ROOT / "docs" / "img" / "validation_black_summer_target.png"
BBOX = "140,-40,155,-30"  # south-eastern Australia, around every station
COLUMNS = [
    "product",
    "stations",
    "n",
    "r",
    "rmse",
    "mae",
    "bias",
    "nmb",
    "nme",
    "mfb",
    "mfe",
    "fac2",
    "ioa",
    "mqi90",
]


def markdown(table) -> str:
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    rows = []
    for _, row in table.iterrows():
        cells = [row["product"], f"{row['stations']:d}", f"{row['n']:d}", f"{row['r']:.2f}"]
        cells += [f"{row[name]:.0f}" for name in ("rmse", "mae", "bias", "nmb", "nme", "mfb", "mfe")]
        cells += [f"{row['fac2']:.2f}", f"{row['ioa']:.2f}", f"{row['mqi90']:.1f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"


def main() -> int:
    cams = deepcams.open_sample_cams()
    products = {
        "CAMS": cams,
        "bicubic-linear": deepcams.downscale(cams, "bicubic-linear", bbox=BBOX),
        "deepcams": deepcams.downscale(cams, bbox=BBOX),
    }
    result = validate(products, open_sample_stations())
    figure = plot_target(
        result, title="Black Summer, 31 OpenAQ stations, 2019-12-31 15 UTC .. 2020-01-01 00 UTC"
    )
    figure.axes[0].text(0.98, 0.02, f"Stations: {SAMPLE_ATTRIBUTION}\nCAMS: Copernicus Atmosphere Monitoring Service",
                        transform=figure.axes[0].transAxes, ha="right", fontsize=6)  # fmt: skip
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(FIGURE, dpi=110)
    text = DOC.read_text()
    table = markdown(result.overall)
    updated = re.sub(
        r"(<!-- table:start -->\n).*?(<!-- table:end -->)", lambda m: m[1] + table + m[2], text, flags=re.S
    )
    DOC.write_text(updated)
    print(table)
    print(f"wrote {FIGURE.relative_to(ROOT)} and the table in {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
