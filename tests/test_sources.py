"""deepcams.sources: the app's options, the packaged sample and the training data by name."""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest
import xarray as xr

import deepcams
from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, GEOSCF
from deepcams.io.providers import to_cams_netcdf, to_geoscf_netcdf
from deepcams.sources import open_sample_cams, parse_app_args, training_sets, user_sources

catalog_module = importlib.import_module(
    "deepcams.sources.catalog"
)  # `deepcams.sources.catalog` is the function


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
    sequence = tmp_path / "model.nc"
    regional = real_geoscf.isel(lat=slice(400, 440), lon=slice(100, 160)).rename(pm25="PM25")
    regional.to_netcdf(sequence)
    sets = training_sets(["sample", str(tmp_path / "geoscf.nc"), f"hourly:{sequence}"])
    assert [(s.name, s.grid, s.synthetic, s.hourly) for s in sets] == [
        ("real GEOS-CF sample", GEOSCF, False, False),
        ("geoscf.nc", GEOSCF, False, False),
        ("model.nc", CAMS, False, True),
    ]
    assert sets[1].data.pm25.shape == real_geoscf.pm25.shape
    # a model's own grid, interpolated to the CAMS nodes inside it: every third 0.25 deg pixel here
    on_nodes = sets[2].data
    assert CAMS.contains(on_nodes) and on_nodes.pm25.shape == (4, 13, 20)
    np.testing.assert_allclose(
        on_nodes.pm25.values, regional.PM25.values[:, 2::3, 2::3][:, :13, :20], rtol=1e-5
    )


def test_a_data_root_of_hostile_files_is_listed_without_crashing_or_leaving_it(
    tmp_path, real_cams, monkeypatch
):
    """float16, truncated and junk files, HTML in names and units, symlinks out: all listed or refused, the
    process lives on; a file whose probe crashes is never opened here."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    hostile = root / "<img src=x onerror=alert(1)>"
    hostile.mkdir(parents=True)
    outside.mkdir()
    cams = to_cams_netcdf(real_cams, hostile / "<b>x<i>.nc")
    raw = xr.open_dataset(cams).load()
    raw["pm2p5"] = raw["pm2p5"] * 1e9
    raw["pm2p5"].attrs["units"] = "ug m-3"  # float16 cannot hold kg m-3 values
    raw.to_netcdf(root / "half.nc", engine="h5netcdf", encoding={"pm2p5": {"dtype": "float16"}})
    raw["pm2p5"].attrs["units"] = "<script>alert(1)</script>"
    raw.to_netcdf(root / "units.nc")
    (root / "truncated.nc").write_bytes(cams.read_bytes()[:5000])
    (root / "junk.nc").write_text("hello")
    (root / "crash.nc").write_bytes(cams.read_bytes())
    to_cams_netcdf(real_cams, outside / "secret.nc")
    os.symlink("../outside/secret.nc", root / "relative-link.nc")
    os.symlink(outside, hostile / "out")

    real_probe, opened = catalog_module.probe_file, []
    monkeypatch.setattr(
        catalog_module,
        "probe_file",
        lambda path: (
            "reading it crashed the reader (signal 11)" if path.name == "crash.nc" else real_probe(path)
        ),
    )
    real_open = catalog_module.open_any
    monkeypatch.setattr(catalog_module, "open_any", lambda path: opened.append(path.name) or real_open(path))

    sources = {s.key: s for s in user_sources((root,))}
    assert set(sources) == {"user:0", f"user:0/{hostile.name}"}  # the symlinked folder is not offered
    top = sources["user:0"]
    problems = dict(p.split(": ", 1) for p in top.problems)
    assert set(problems) == {"units.nc", "truncated.nc", "junk.nc", "crash.nc"}
    assert "unknown units '<script>" in problems["units.nc"] and "crashed" in problems["crash.nc"]
    assert "1 CAMS and 0 GEOS-CF files" in top.description  # half.nc, read as float32; never the link
    assert "crash.nc" not in opened and "relative-link.nc" not in opened
    assert top.cams["pm25"].dtype == "float32" and float(top.cams["pm25"].max()) > 0
    assert sources[f"user:0/{hostile.name}"].label == "<img src=x onerror=alert(1)> (CAMS input)"


def test_dataset_keys_and_labels_never_show_where_the_roots_are(tmp_path, real_cams):
    """The page sees `user:<root index>/<folder in the root>`, never a server path; the key of one root's
    folder is not another's."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, first / "case", second / "case"):
        folder.mkdir(parents=True)
        to_cams_netcdf(real_cams, folder / f"{folder.parent.name}.nc")
    found = {
        key: source
        for key, source in catalog_module.catalog((first, second)).items()
        if key.startswith("user:")
    }
    assert set(found) == {"user:0", "user:0/case", "user:1/case"}
    assert found["user:1/case"].description == "1 CAMS and 0 GEOS-CF files in second/case"
    assert found["user:1/case"].cams.attrs["input_files"] == "second.nc"  # the second root's, opened
    for source in found.values():
        for shown in (source.key, source.label, source.description):
            assert str(tmp_path) not in shown and os.path.realpath(tmp_path) not in shown, shown
