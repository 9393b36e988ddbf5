"""The example notebooks run headless, top to bottom, in a fresh kernel (nbclient)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, cwd: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    # the "python3" kernel of the running interpreter (ipykernel's own spec): the project's environment
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> str:
    text = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            text.append(out.get("text", ""))
            text.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(text)


@pytest.mark.slow
def test_quickstart(tmp_path):
    text = outputs(execute("01-quickstart.ipynb", tmp_path))
    assert "output 25 hours of 141 x 209" in text
    assert "bicubic-linear" in text and "bilinear-linear" in text and "deepcams" in text


@pytest.mark.slow
def test_dashboard_in_jupyter(tmp_path):
    notebook = execute("02-dashboard-in-jupyter.ipynb", tmp_path)
    text = outputs(notebook)
    assert "['CAMS input', 'bicubic-linear', 'nearest-nearest']" in text
    assert "deepcams and bicubic-linear downscale" in text  # the opening comparison runs deepcams
    bundles = [out.get("data", {}) for cell in notebook.cells for out in cell.get("outputs", [])]
    assert (
        sum(
            "application/vnd.holoviews_load.v0+json" in b or "application/vnd.holoviews_exec.v0+json" in b
            for b in bundles
        )
        >= 4
    )


@pytest.mark.slow
def test_real_sample(tmp_path):
    text = outputs(execute("03-real-sample.ipynb", tmp_path))
    assert "bicubic-linear MAE on frame 00: 0.540 ug m-3" in text
    assert "deepcams MAE on frame 00:" in text  # the package's own model, computed, not quoted
