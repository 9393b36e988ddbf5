"""The skill view on the real sample in simulation mode: per-pixel skill maps, their area-weighted means and
the power spectra of bicubic-linear and deepcams against the GEOS-CF truth, each number the library's own."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn
import pytest
from bokeh.core.validation.check import check_integrity
from bokeh.document import Document

from deepcams.dashboard import Comparison, Dashboard, SkillView
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.comparison import TRUTH
from deepcams.metrics import power_spectrum, skill_maps

METHODS = ["bicubic-linear", "deepcams"]


@pytest.fixture(scope="module")
def simulation() -> Comparison:
    """Both methods on the sample's held-out band, scored against the truth they were coarsened from."""
    c = Comparison(cache=ResultCache(), dataset="sample-simulation", methods=METHODS)
    c.run()
    assert list(c.results) == METHODS and TRUTH in c.fields
    return c


def image_of(view: SkillView) -> hv.Image:
    return next(e for e in view.skill_image() if isinstance(e, hv.Image))


def test_skill_view_scores_only_when_opened_and_once_per_run(simulation):
    view = SkillView(comparison=simulation)
    assert not view.maps and not view.problem  # collapsed: no work at page opening
    pn.panel(view).collapsed = False
    assert view.open and list(view.maps) == METHODS and not view.problem
    first = view.maps
    pn.panel(view).collapsed = True
    pn.panel(view).collapsed = False
    assert view.maps is first  # reopening does not score again


def test_table_is_skill_maps_own_area_weighted_means(simulation):
    view = SkillView(comparison=simulation, open=True)
    table = view.aggregates()
    truth = simulation.fields[TRUTH].to_dataset()
    assert list(table.index) == METHODS
    for name in METHODS:
        expected = skill_maps(simulation.results[name], truth).attrs
        for metric in ("bias", "rmse", "r"):
            assert table.loc[name, metric] == pytest.approx(expected[f"mean_{metric}"])
    assert table.loc["deepcams", "rmse"] < table.loc["bicubic-linear", "rmse"]
    assert "skill-table" in view.table().css_classes


def test_each_metric_maps_finite_skill_where_the_truth_is_valid(simulation):
    view = SkillView(comparison=simulation, open=True)
    truth = simulation.fields[TRUTH]
    valid = truth.notnull().all("time").values
    assert valid.any()
    for method in METHODS:
        view.method = method
        expected = skill_maps(simulation.results[method], truth.to_dataset())
        for metric in ("bias", "rmse", "r"):
            view.metric = metric
            image = image_of(view)
            values = image.dimension_values(2, flat=False)
            assert values.shape == valid.shape
            assert np.isfinite(values[valid]).all(), (method, metric)
            np.testing.assert_array_equal(values, expected[metric].values)
            low, high = image.opts.get().kwargs["clim"]
            if metric == "bias":
                assert low == -high and high > 0
            elif metric == "rmse":
                assert low == 0 < high and (values[valid] >= 0).all()
            else:
                assert (low, high) == (-1, 1) and (np.abs(values[valid]) <= 1 + 1e-9).all()
    assert not np.array_equal(
        view.maps["deepcams"]["rmse"].values, view.maps["bicubic-linear"]["rmse"].values
    )


def test_spectra_have_one_curve_per_product_and_the_truth(simulation):
    view = SkillView(comparison=simulation, open=True)
    curves = {c.label: c for c in view.spectra_curves() if isinstance(c, hv.Curve)}
    truth_label = simulation.label(TRUTH)
    assert set(curves) == {*METHODS, truth_label} and len(curves) == len(METHODS) + 1
    expected = power_spectrum(simulation.fields[TRUTH].to_dataset())  # no gaps in this band
    np.testing.assert_allclose(curves[truth_label].dimension_values(0), expected["wavenumber"].values)
    np.testing.assert_allclose(curves[truth_label].dimension_values(1), expected.values)
    for name in METHODS:
        mine = power_spectrum(simulation.results[name])
        np.testing.assert_allclose(curves[name].dimension_values(1), mine.values)
    overlay = view.spectra_curves().opts.get().kwargs
    assert overlay["logx"] and overlay["logy"]


def test_spectra_leave_out_the_pixels_a_method_left_empty():
    c = Comparison(cache=ResultCache(), dataset="sample-simulation", region="South Asia", methods=METHODS[:1])
    c.run()
    truth = c.fields[TRUTH]
    gaps = c.results[METHODS[0]]["pm25"].isnull() & truth.notnull()
    assert gaps.any()  # a held-back band: NaN in the product, values in the truth
    view = SkillView(comparison=c, open=True)
    curve = next(e for e in view.spectra_curves() if e.label == c.label(TRUTH))
    common = power_spectrum(truth.where(~gaps).to_dataset())
    np.testing.assert_allclose(curve.dimension_values(1), common.values)
    assert not np.allclose(curve.dimension_values(1), power_spectrum(truth.to_dataset()).values)


def test_a_run_without_truth_says_so():
    c = Comparison(cache=ResultCache(), dataset="sample-real", methods=METHODS[:1])
    view = SkillView(comparison=c, open=True)
    assert "Run a comparison" in view.problem
    c.run()
    assert not view.maps and not view.spectra and view.problem.startswith("No truth to score")
    assert view.note().object == view.problem
    assert view.skill_image() is None and view.spectra_curves() is None


def test_renders_without_bokeh_validation_warnings_and_sits_collapsed_on_the_page(simulation):
    view = SkillView(comparison=simulation, open=True)
    root = pn.panel(view).get_root(Document())
    issues = check_integrity(root.references())
    assert [i.code for i in issues.warning + issues.error] == []
    view.param.update(metric="r", method="deepcams")
    issues = check_integrity(root.references())
    assert [i.code for i in issues.warning + issues.error] == []
    main = Dashboard(comparison=simulation).main()
    cards = [o for o in main.select(pn.Card) if "skill-view" in o.css_classes]
    assert len(cards) == 1 and cards[0].collapsed
