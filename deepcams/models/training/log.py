"""The training log: one CSV row per epoch (and one for the untrained model, epoch 0)."""

from __future__ import annotations

import csv
from pathlib import Path


def append_row(path: Path, row: dict) -> None:
    """Append `row`, writing the header first when the file is new; floats to 6 significant digits."""
    new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
