"""The deepcams dashboard, served by `panel serve app` from the repository root: a thin wrapper of
`deepcams.dashboard.app.page`, which `deepcams app` serves from an installed package.

Extra data roots: `panel serve app --args --data DIR [--data DIR2]` or DEEPCAMS_DATA=DIR1:DIR2; OpenAQ
station files (points coloured by bias on each method's map): `--stations FILE` (repeatable) or
DEEPCAMS_STATIONS=FILE1:FILE2 (`deepcams.sources.parse_app_args`). Data, stations, models and coastlines load
once per server process inside the library (`deepcams.sources`, `deepcams.dashboard`); the datasets are
opened in the background at the first page (the demo world is generated once). The page opens on a
comparison: it runs the controls' default request as soon as it is loaded.
"""

import sys

from deepcams.dashboard.app import page
from deepcams.sources import parse_app_args

page(parse_app_args(sys.argv[1:])).servable()
