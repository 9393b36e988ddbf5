"""The ensemble on the dashboard: deepcams-ensemble beside a baseline on the real sample's held-out band in
simulation mode: its CRPS and spread-skill in the metrics table, its spread map, its band in the series."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn
import pytest
from bokeh.core.validation.check import check_integrity
from bokeh.document import Document

import deepcams
from deepcams.dashboard import Comparison, Dashboard, EnsembleView, MetricsTable, SeriesChart
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.comparison import TRUTH, outputs_of
from deepcams.methods import ENSEMBLE_METHOD
from deepcams.metrics import probabilistic_scores
from deepcams.recipes import ENSEMBLE_SIZE

METHODS = [ENSEMBLE_METHOD, "bicubic-linear"]


@pytest.fixture(scope="module")
def ensemble() -> Comparison:
    c = Comparison(cache=ResultCache(), dataset="sample-simulation", methods=METHODS)
    c.set_box(-40, -20, -25, -5)  # inside the held-out band: Brazil's north-east coast
    c.run()
    assert list(c.results) == METHODS and TRUTH in c.fields
    return c


def test_metrics_table_has_the_ensembles_crps_and_spread_skill(ensemble):
    metrics = ensemble.metrics
    truth = ensemble.fields[TRUTH].to_dataset()
    expected = probabilistic_scores(ensemble.results[ENSEMBLE_METHOD], truth)
    assert metrics.loc[ENSEMBLE_METHOD, "crps"] == pytest.approx(expected["crps"], rel=1e-6)
    assert metrics.loc[ENSEMBLE_METHOD, "spread_skill"] == pytest.approx(expected["spread_skill"], rel=1e-6)
    assert metrics.loc["bicubic-linear", "crps"] == pytest.approx(metrics.loc["bicubic-linear", "mae"])
    assert np.isnan(metrics.loc["bicubic-linear", "spread_skill"])
    html = MetricsTable(comparison=ensemble).table().object
    assert "CRPS" in html and "spread / RMSE" in html and "–" in html


def test_spread_map_follows_the_hour_and_shows_the_full_range(ensemble):
    view = EnsembleView(comparison=ensemble)
    spread = ensemble.results[ENSEMBLE_METHOD]["pm25_spread"]
    for hour in (0, 1):
        view.selection.hour = hour
        image = next(e for e in view.spread_image() if isinstance(e, hv.Image))
        values = image.dimension_values(2, flat=False)
        np.testing.assert_array_equal(values, spread.isel(time=hour).values)
        assert image.opts.get().kwargs["clim"] == (0.0, pytest.approx(max(float(np.nanmax(values)), 1e-6)))
    view.kind = "spread / mean"
    image = next(e for e in view.spread_image() if isinstance(e, hv.Image))
    mean = ensemble.results[ENSEMBLE_METHOD]["pm25"].isel(time=1).values
    np.testing.assert_allclose(
        image.dimension_values(2, flat=False), spread.isel(time=1).values / mean, rtol=1e-6
    )
    assert "CRPS" in view.note().object and "calibrated" in view.note().object


def test_series_has_the_quantile_band_of_the_ensemble_only(ensemble):
    chart = SeriesChart(comparison=ensemble)
    chart.selection.point = (-35.0, -8.0)
    bands = [e for e in chart.elements() if isinstance(e, hv.Area)]
    assert chart.chart().object is not None
    assert len(bands) == 1 and ENSEMBLE_METHOD in bands[0].label
    result = ensemble.results[ENSEMBLE_METHOD]["pm25_quantile"].sel(lon=-35.0, lat=-8.0)
    np.testing.assert_allclose(bands[0].dimension_values("low"), result.isel(quantile=0).values)
    np.testing.assert_allclose(bands[0].dimension_values("high"), result.isel(quantile=-1).values)
    header = next(line for line in chart.csv().splitlines() if line.startswith("time_utc"))
    assert f"{ENSEMBLE_METHOD} 5%" in header and f"{ENSEMBLE_METHOD} 95%" in header
    mean = ensemble.results[ENSEMBLE_METHOD]["pm25"].sel(lon=-35.0, lat=-8.0).values
    assert (result.isel(quantile=0).values <= mean + 1e-6).all() and (
        mean <= result.isel(quantile=-1).values + 1e-6
    ).all()


def test_without_an_ensemble_the_card_says_how_to_get_one_and_the_peak_counts_members():
    c = Comparison(cache=ResultCache(), dataset="sample-simulation", methods=["bicubic-linear"])
    view = EnsembleView(comparison=c)
    assert view.spread_image() is None and ENSEMBLE_METHOD in view.note().object
    assert outputs_of(ENSEMBLE_METHOD) > ENSEMBLE_SIZE and outputs_of("deepcams") == 1


def test_renders_without_bokeh_warnings_and_sits_collapsed_on_the_page(ensemble):
    view = EnsembleView(comparison=ensemble)
    root = pn.panel(view).get_root(Document())
    issues = check_integrity(root.references())
    assert [i.code for i in issues.warning + issues.error] == []
    main = Dashboard(comparison=ensemble).main()
    cards = [o for o in main.select(pn.Card) if "ensemble-view" in o.css_classes]
    assert len(cards) == 1 and cards[0].collapsed
    assert deepcams.available_methods().index(ENSEMBLE_METHOD) == 1
