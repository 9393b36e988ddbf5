"""deepcams.sources: the app's options, the packaged sample and the training data by name."""

from __future__ import annotations

import os

import pytest

import deepcams
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, GEOSCF
from deepcams.io.providers import to_geoscf_netcdf
from deepcams.sources import open_sample_cams, parse_app_args, training_sets


def test_app_args_repeat_and_leave_other_arguments_alone(tmp_path):
    one, two, three = tmp_path / "one", tmp_path / "two", tmp_path / "three"
    argv = ["--port", "5007", "--data", str(one), "--show", f"--data={two}", "--stations", str(three), "-x"]
    options = parse_app_args(argv, {})
    assert options.roots == (one, two) and options.stations == (three,)
    environ = {"DEEPCAMS_DATA": f"{two}{os.pathsep}{three}", "DEEPCAMS_STATIONS": ""}
    assert parse_app_args(["--data", str(one), "--data", str(two)], environ).roots == (two, three, one)
    assert parse_app_args(["--dat", str(one)], {}).roots == ()  # no abbreviations: --dat is someone else's
    with pytest.raises(DeepcamsError, match="--data"):
        parse_app_args(["--data"], {})


def test_the_package_face_opens_the_sample_from_sources():
    assert deepcams.open_sample_cams is open_sample_cams


def test_training_sets_by_name(tmp_path, real_geoscf):
    to_geoscf_netcdf(real_geoscf, tmp_path / "geoscf.nc")
    sets = training_sets(["sample", str(tmp_path / "geoscf.nc")])
    assert [(s.name, s.grid, s.synthetic) for s in sets] == [
        ("real CAMS sample", CAMS, False),
        ("real GEOS-CF sample", GEOSCF, False),
        ("geoscf.nc", GEOSCF, False),
    ]
    assert sets[2].data.pm25.shape == real_geoscf.pm25.shape
