"""The deepcams dashboard, served by `panel serve app` from the repository root.

Extra data roots: `panel serve app --args --data DIR [--data DIR2]` or DEEPCAMS_DATA=DIR1:DIR2; OpenAQ
station files (points coloured by bias on each method's map): `--stations FILE` (repeatable) or
DEEPCAMS_STATIONS=FILE1:FILE2. Data, stations, models and coastlines load once per server process inside
the `deepcams.dashboard` modules.
"""

import sys

import panel as pn

from deepcams.dashboard import Dashboard, roots_from, stations_from

pn.extension(notifications=True, sizing_mode="stretch_width")

dashboard = Dashboard(roots=roots_from(sys.argv[1:]), stations=stations_from(sys.argv[1:]))
pn.template.BootstrapTemplate(
    title="deepcams: CAMS PM2.5 downscaled to 0.25 deg hourly",
    sidebar=[dashboard.controls()],
    main=[dashboard.main()],
    sidebar_width=340,
).servable()
