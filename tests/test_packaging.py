"""pyproject.toml and environment.yml list the same dependencies, so they cannot drift apart."""

import re
import tomllib
from pathlib import Path

import yaml

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


def test_torch_pinned_to_the_local_wheel():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]


def test_version_is_the_projects():
    from deepcams._version import __version__

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert __version__ == project["version"]
