"""Shared fixtures: the packaged real sample, loaded once per test session."""

import pytest

import deepcams


@pytest.fixture(scope="session")
def real_geoscf():
    return deepcams.open_sample_geoscf()


@pytest.fixture(scope="session")
def real_cams():
    return deepcams.open_sample_cams()


@pytest.fixture(scope="session")
def simulated_cams(real_geoscf):
    return deepcams.simulate(real_geoscf)
