"""The served page: one `Dashboard` in a template per browser session.

`panel serve app` (the repository's app/main.py) and `deepcams app` (an installed package) serve the same
`page`; data, stations, models and coastlines load once per server process inside the library.
"""

from __future__ import annotations

from collections.abc import Sequence

import panel as pn

from deepcams.dashboard.comparison import prepare_in_background
from deepcams.dashboard.dashboard import Dashboard
from deepcams.dashboard.runs import freeze_startup_objects
from deepcams.sources import AppOptions

TITLE = "deepcams: CAMS PM2.5 downscaled to 0.25 deg hourly"
ROUTE = "app"  # the URL path, as `panel serve app` names it after the folder


def page(options: AppOptions) -> pn.template.BootstrapTemplate:
    """One session's page: the controls in the sidebar, the comparison in the main area.

    The datasets open in the background after the first page's comparison (the demo world is generated
    once); the page
    opens on a comparison, running the controls' default request as soon as it is loaded; when the page
    closes (its session ends), its run is cancelled.
    """
    pn.extension(notifications=True, sizing_mode="stretch_width")
    freeze_startup_objects()  # before the first page: its objects stay collectable
    # no preview maps: the opening run replaces them within seconds, and drawing them delays the page
    dashboard = Dashboard(roots=options.roots, stations=options.stations, preview=False)

    async def opening() -> None:
        await dashboard.start()
        prepare_in_background(options.roots)  # after the first comparison, which it would slow down

    pn.state.onload(opening)
    pn.state.on_session_destroyed(lambda context: dashboard.close())  # a closed page's run is cancelled
    return pn.template.BootstrapTemplate(
        title=TITLE,
        sidebar=[dashboard.controls()],
        main=[dashboard.main()],
        sidebar_width=340,
    )


def serve(
    options: AppOptions,
    port: int = 5006,
    address: str = "localhost",
    allow_websocket_origin: Sequence[str] = (),
    show: bool = False,
) -> None:
    """Serve `page` at http://ADDRESS:PORT/app until interrupted, with the JavaScript from the server itself
    (no CDN: the page works offline, as under `panel serve`)."""
    origins = [*allow_websocket_origin, f"localhost:{port}", f"127.0.0.1:{port}", f"{address}:{port}"]
    pn.serve(
        {ROUTE: lambda: page(options)},
        port=port,
        address=address,
        websocket_origin=list(dict.fromkeys(origins)),
        show=show,
        title=TITLE,
        verbose=False,
    )
