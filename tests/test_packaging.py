"""Packaging: pyproject.toml and environment.yml agree, pins live in constraints.txt, the tree stays clean."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name where they differ
CONDA_NAMES = {"torch": "pytorch", "netCDF4": "netcdf4"}


def _requirement(text: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", text)
    name, spec = match.group(1), match.group(2).replace(" ", "")
    return CONDA_NAMES.get(name, name).lower(), spec


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = dict(_requirement(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        pip.update(_requirement(r) for r in extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(
        _requirement(d) for d in env["dependencies"] if isinstance(d, str) and not d.startswith("python=")
    )
    assert conda == pip


def test_torch_is_a_range_and_the_local_wheel_a_constraint():
    """Users get a range; these machines pin the CPU wheel on their disk through constraints.txt, which
    the Makefile's install uses (and with it .ci/run, through `make test`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch = next(Requirement(r) for r in project["dependencies"] if Requirement(r).name == "torch")
    assert "2.13.0" in torch.specifier and "2.99" in torch.specifier and "2.0" not in torch.specifier
    assert not any(s.operator in ("==", "===") for s in torch.specifier), "pin in constraints.txt instead"
    pins = [
        Requirement(line)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert [str(r) for r in pins if r.name == "torch"] == ["torch==2.13.0"]
    install = [
        line
        for line in (ROOT / "Makefile").read_text().splitlines()
        if "pip install" in line and " -e " in line
    ]
    assert install and all("-c constraints.txt" in line for line in install)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_test_writes_screenshots_outside_the_tracked_tree(monkeypatch):
    """Screenshots of the browser test go to tests/artifacts (git-ignored) unless `make docs-images` asks."""
    import importlib.util

    monkeypatch.delenv("DEEPCAMS_SCREENSHOTS", raising=False)
    spec = importlib.util.spec_from_file_location("browser_test", ROOT / "tests" / "test_app_browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.IMAGES == module.ARTIFACTS == ROOT / "tests" / "artifacts"
    assert "tests/artifacts/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "DEEPCAMS_SCREENSHOTS=docs/img" in (ROOT / "Makefile").read_text()


def test_version_is_the_projects():
    from deepcams._version import __version__

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert __version__ == project["version"]
