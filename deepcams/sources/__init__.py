"""Where datasets live: the real sample shipped with the package, the synthetic demo world, the user's data
folders and OpenAQ station files, and the training data chosen by name.

The dashboard takes its datasets from `catalog(roots)` and `stations(files)`, the app its options from
`parse_app_args(argv)`, and `deepcams train` its data from `training_sets(names)`. The synthetic world itself
is a model (`deepcams.synthetic`); here it is only opened as a dataset.
"""

from deepcams.sources.catalog import Source, catalog, user_sources
from deepcams.sources.options import ENV_ROOTS, ENV_STATIONS, AppOptions, parse_app_args
from deepcams.sources.sample import open_sample_cams, open_sample_geoscf
from deepcams.sources.stations import Stations, stations
from deepcams.sources.training import TrainingSet, training_sets

__all__ = [
    "ENV_ROOTS",
    "ENV_STATIONS",
    "AppOptions",
    "Source",
    "Stations",
    "TrainingSet",
    "catalog",
    "open_sample_cams",
    "open_sample_geoscf",
    "parse_app_args",
    "stations",
    "training_sets",
    "user_sources",
]
