"""The deepcams dashboard, served by `panel serve app` from the repository root.

Extra data roots: `panel serve app --args --data DIR [--data DIR2]` or DEEPCAMS_DATA=DIR1:DIR2; OpenAQ
station files (points coloured by bias on each method's map): `--stations FILE` (repeatable) or
DEEPCAMS_STATIONS=FILE1:FILE2 (`deepcams.sources.parse_app_args`). Data, stations, models and coastlines load
once per server process inside the library (`deepcams.sources`, `deepcams.dashboard`).
"""

import sys

import panel as pn

from deepcams.dashboard import Dashboard
from deepcams.sources import parse_app_args

pn.extension(notifications=True, sizing_mode="stretch_width")

options = parse_app_args(sys.argv[1:])
dashboard = Dashboard(roots=options.roots, stations=options.stations)
pn.template.BootstrapTemplate(
    title="deepcams: CAMS PM2.5 downscaled to 0.25 deg hourly",
    sidebar=[dashboard.controls()],
    main=[dashboard.main()],
    sidebar_width=340,
).servable()
