"""Time and peak memory of the synthetic world: the global 3-day default demo and a regional demo.

Targets (docs/synthetic-world.md): global 3 days generated and written in under 60 s on 2 cores with a peak
RSS under 4 GB; a regional demo in a few seconds.

    .venv/bin/python benchmarks/bench_synthetic.py [--days 3] [--bbox W,S,E,N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time

from deepcams.synthetic import make_world, write_demo


def peak_rss_gb() -> float:
    factor = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * factor / 1024**3


def cpu_seconds() -> float:
    """User + system CPU time of this process: the cost on an idle machine, whatever the load now."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--bbox", default=None, help="W,S,E,N (default: the globe)")
    parser.add_argument("--regional-bbox", default="65,5,100,40", help="the regional demo's box")
    args = parser.parse_args()

    start, cpu = time.perf_counter(), cpu_seconds()
    cams, truth = make_world(days=args.days, bbox=args.bbox)
    generated, generated_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), cpu_seconds()
        write_demo(tmp, days=args.days, bbox=args.bbox)
        written, written_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    area = args.bbox or "global"
    print(f"{area}, {args.days} days: truth {dict(truth.sizes)}, cams {dict(cams.sizes)}")
    print(f"  make_world {generated:.1f} s wall, {generated_cpu:.1f} s CPU")
    print(f"  write_demo (generate + write both files) {written:.1f} s wall, {written_cpu:.1f} s CPU")
    start, cpu = time.perf_counter(), cpu_seconds()
    make_world(days=args.days, bbox=args.regional_bbox)
    print(
        f"regional {args.regional_bbox}, {args.days} days: make_world {time.perf_counter() - start:.1f} s wall, "
        f"{cpu_seconds() - cpu:.1f} s CPU"
    )
    print(f"peak RSS {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
