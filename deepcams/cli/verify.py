"""`deepcams verify`: check a production archive (every hour present, finite, in range, consistent)."""

from __future__ import annotations

import argparse

from deepcams.production import verify_archive


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("verify", help="check a production archive; exit 1 when it has problems")
    parser.add_argument("archive", metavar="ARCHIVE.zarr")
    parser.add_argument(
        "--strict", action="store_true", help="count negative values (method overshoot) as problems"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = verify_archive(args.archive, strict=args.strict)
    print(report.summary())
    return 0 if report.ok else 1
