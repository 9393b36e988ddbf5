"""The FAIRMODE target diagram of a validation: one point per product and station, the MQO as a circle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepcams.errors import DeepcamsError
from deepcams.validation.insitu import ValidationResult
from deepcams.validation.statistics import target_point


def target_points(result: ValidationResult) -> pd.DataFrame:
    """Per product and station: x (sign * CRMSE / beta RMS_U), y (bias / beta RMS_U), mqi (the radius)."""
    rows = []
    for (product, station, name), group in result.pairs.groupby(["product", "station", "name"], sort=False):
        x, y = target_point(group["predicted"].to_numpy(), group["observed"].to_numpy())
        rows.append({"product": product, "station": station, "name": name, "x": x, "y": y})
    table = pd.DataFrame(rows, columns=["product", "station", "name", "x", "y"])
    return table.assign(mqi=np.hypot(table["x"], table["y"]))


def plot_target(result: ValidationResult, title: str | None = None):
    """A matplotlib Figure of the target diagram; products in the order of `result.overall`."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise DeepcamsError("the target diagram needs matplotlib: pip install 'deepcams[app]'") from None
    points = target_points(result)
    reach = max(1.5, float(np.nanmax(np.abs(points[["x", "y"]].to_numpy()))) * 1.1)
    figure = Figure(figsize=(6.2, 6.2), layout="constrained")  # no pyplot: no global state, any thread
    ax = figure.add_subplot()
    angle = np.linspace(0, 2 * np.pi, 361)
    for radius, style in ((0.5, ":"), (1.0, "-")):
        ax.plot(radius * np.cos(angle), radius * np.sin(angle), style, color="0.3", lw=1)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    for (_, row), marker in zip(result.overall.iterrows(), "osD^v<>", strict=False):
        mine = points[points["product"] == row["product"]]
        label = f"{row['product']} (MQI90 {row['mqi90']:.2f}, {len(mine)} stations)"
        ax.scatter(mine["x"], mine["y"], marker=marker, s=30, alpha=0.75, label=label)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    if reach > 5:  # far stations would squeeze the circle to a dot: linear inside 1, logarithmic beyond
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_yscale("symlog", linthresh=1.0)
    ax.set_aspect("equal")
    ax.set_xlabel("CRMSE / (β RMS_U)   (left: R dominates, right: σ dominates)")
    ax.set_ylabel("bias / (β RMS_U)")
    ax.set_title(title or f"FAIRMODE target diagram ({result.describe().split(';')[1].strip()})", fontsize=10)
    ax.text(0.02, 0.02, "circle: MQI = 1 (objective met inside)", transform=ax.transAxes, fontsize=8)
    ax.legend(loc="upper left", fontsize=8)
    return figure
