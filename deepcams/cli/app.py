"""`deepcams app`: serve the dashboard from the installed package (the same page as `panel serve app`)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "app",
        help="serve the dashboard in the browser",
        description="Serve the comparison dashboard at http://ADDRESS:PORT/app until interrupted (Ctrl-C). "
        "Extra data folders and OpenAQ station files add to DEEPCAMS_DATA and DEEPCAMS_STATIONS.",
    )
    parser.add_argument("--port", type=int, default=5006, help="port to listen on (default 5006)")
    parser.add_argument("--address", default="localhost", help="address to listen on (default localhost)")
    parser.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="a host the page may be opened from besides the address itself (repeatable)",
    )
    parser.add_argument("--data", action="append", default=[], metavar="DIR", help="data folder (repeatable)")
    parser.add_argument(
        "--stations", action="append", default=[], metavar="FILE", help="OpenAQ station file (repeatable)"
    )
    parser.add_argument("--show", action="store_true", help="open the page in a browser")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from deepcams.dashboard.app import ROUTE, serve  # panel loads here, not for `deepcams --help`
    from deepcams.sources import parse_app_args

    given = [*(("--data", d) for d in args.data), *(("--stations", f) for f in args.stations)]
    options = parse_app_args([item for pair in given for item in pair])
    print(f"deepcams dashboard: open http://{args.address}:{args.port}/{ROUTE} (Ctrl-C stops it)", flush=True)
    serve(
        options,
        port=args.port,
        address=args.address,
        allow_websocket_origin=args.allow_websocket_origin,
        show=args.show,
    )
    return 0
