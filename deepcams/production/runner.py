"""The production run loop on dask.distributed: plan the days, skip the completed ones, run the rest.

A LocalCluster by default, or any running scheduler by address (dask-jobqueue, Kubernetes, Coiled): the
loop only submits one `produce_day` task per day and gathers their completion records. The store and the
input files must be reachable under the same paths from every worker (a shared filesystem).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dask
import pandas as pd

from deepcams._version import __version__
from deepcams.errors import DeepcamsError
from deepcams.grids import BBox, target_axes
from deepcams.methods import DEFAULT_METHOD, Method, get_method
from deepcams.pipeline import downscale, product_attrs
from deepcams.production import archive
from deepcams.production.inputs import archive_times, frames_needed, index_inputs, plan_days
from deepcams.production.tasks import produce_day


@dataclass
class ProductionReport:
    """What a run did: days planned, skipped as already complete, produced now, and failed (with why)."""

    store: Path
    total: int
    skipped: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    dashboard: str | None = None

    @property
    def complete(self) -> bool:
        return not self.failed and len(self.skipped) + len(self.done) == self.total

    @property
    def days_per_hour(self) -> float:
        return 3600.0 * len(self.done) / self.seconds if self.seconds > 0 and self.done else 0.0


def provenance(method: Method, bbox: BBox | None, files: Iterable[Path], times: pd.DatetimeIndex) -> dict:
    """Global attributes: CF/ACDD basics plus what produced the archive (compared again on resume)."""
    source = {"source": "CAMS EAC4 global reanalysis (Copernicus Atmosphere Monitoring Service)"}
    return {
        **product_attrs(method, source, bbox, step=3),
        "Conventions": "CF-1.8, ACDD-1.3",
        "history": f"deepcams produce (deepcams {__version__}) method={method.name}",
        "input_files": ", ".join(sorted(p.name for p in files)),
        "time_coverage_start": times[0].isoformat(),
        "time_coverage_end": times[-1].isoformat(),
        "completion_records": f"{archive.RECORDS}/YYYY-MM-DD.json, one per day, written after its data",
    }


def _connect(scheduler: str | None, workers: int | None):
    """A Client on `scheduler`, or on a new LocalCluster of single-threaded worker processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address at all
            text = str(exc).strip().splitlines()
            raise DeepcamsError(
                f"cannot reach the Dask scheduler at {scheduler}: {text[0] if text else type(exc).__name__}"
            ) from None
    count = workers or max(1, (os.cpu_count() or 1))
    cluster = LocalCluster(
        n_workers=count, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )
    return Client(cluster), cluster


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def produce(
    cams,
    output: str | os.PathLike,
    start,
    end,
    *,
    bbox: BBox | str | None = None,
    method: str | None = None,
    method_options: dict | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    client=None,
    units: str | None = None,
    tile: int = archive.DEFAULT_TILE,
    log: Callable[[str], None] = print,
) -> ProductionReport:
    """Downscale CAMS files (paths or glob) day by day into the Zarr archive `output`, resuming it if present.

    Each day is a Dask task; a day's completion record is written after its data, and days with a record
    are skipped, so reruns after any interruption finish the archive with the same bytes. Days whose input
    is missing or unreadable are reported in `ProductionReport.failed`; the others complete.
    `method_options` are those of `get_method` (a learned method's device, weights, conservation).
    """
    if workers is not None and workers < 1:
        raise DeepcamsError(f"workers must be at least 1, got {workers}")
    if tile < archive.MIN_TILE:
        raise DeepcamsError(f"tile must be at least {archive.MIN_TILE} pixels, got {tile}")
    method = method or DEFAULT_METHOD
    options = tuple(sorted((method_options or {}).items()))  # plain values, shipped to every worker
    built = get_method(method, **dict(options))
    if built.members:  # an archive holds one field an hour: the spread and quantiles would be lost
        raise DeepcamsError(
            f"produce writes one field an hour and cannot hold an ensemble's spread; use "
            f"`deepcams downscale --method {built.name}` for it"
        )
    bbox = BBox.parse(bbox)
    store = Path(output)
    index = index_inputs(cams, units=units)
    times = archive_times(index, start, end)
    days = plan_days(times)
    lat, lon = target_axes(bbox)
    used = index.files(
        t for t in index.frames if times[0] - pd.Timedelta(days=1) <= t <= times[-1] + pd.Timedelta(days=1)
    )
    attrs = provenance(built, bbox, used, times)
    _check_request(index, times[0], built, bbox, units)
    with archive.locked(store):
        if store.exists():
            if archive.check_matches(store, times, lat, lon, attrs):
                archive.add_inputs(store, attrs["input_files"])
            archive.remove_temporaries(store)
        else:
            archive.create(store, times, lat, lon, attrs, tile=tile)
        records = archive.read_records(store)
        report = ProductionReport(store=store, total=len(days))
        context = getattr(built.temporal, "context", 0)
        pending = []
        for day in days:
            needed, missing = frames_needed(day, index, context)
            # a day is done when it was made from the frames it would read now (inputs restored since
            # give a neighbouring day's context frames: that day is made again)
            record = records.get(day.label, {})
            made_from = [str(needed[0]), str(needed[-1])]
            if record.get("hours") == day.hours and record.get("input_frames") == made_from:
                report.skipped.append(day.label)
                continue
            if missing:
                report.failed[day.label] = _missing_reason(missing, index)
                continue
            pending.append((day, needed, [str(p) for p in index.files(needed)]))

        last_note = ""
        if times[-1] < pd.Timestamp(end).normalize() + pd.Timedelta(hours=23):
            last_note = f"; the input ends at {times[-1]}, so the last day ends there"
        log(
            f"deepcams produce: {len(days)} days {days[0].label} .. {days[-1].label} -> {store} "
            f"(method {method}; {len(report.skipped)} already complete, {len(report.failed)} without input, "
            f"{len(pending)} to run{last_note})"
        )
        for label, reason in report.failed.items():
            log(f"  {label} cannot run: {reason}")
        if not pending:
            return report

        own = client is None
        cluster = None
        if own:
            client, cluster = _connect(scheduler, workers)
        begin = time.monotonic()
        try:
            report.dashboard = client.dashboard_link
            log(f"  Dask dashboard: {report.dashboard}  ({len(client.scheduler_info()['workers'])} workers)")
            _run(client, store, pending, (method, options), bbox, units, report, log, begin)
        finally:
            report.seconds = time.monotonic() - begin
            archive.remove_temporaries(store)  # what a worker killed mid-write left (its day ran again)
            if own:
                client.close()
                if cluster is not None:
                    cluster.close()
        status = "complete" if report.complete else f"INCOMPLETE: {len(report.failed)} days failed"
        log(
            f"deepcams produce: {status}; {len(report.done)} days in {_duration(report.seconds)} "
            f"({report.days_per_hour:.0f} days/h)"
        )
        return report


def _run(client, store, pending, method, bbox, units, report, log, begin) -> None:
    from distributed import as_completed

    futures = {}
    for day, needed, files in pending:
        future = client.submit(
            produce_day,
            str(store),
            day.label,
            day.first,
            day.hours,
            files,
            str(needed[0]),
            str(needed[-1]),
            *method,
            bbox,
            units,
            key=f"deepcams-day-{day.label}-{os.getpid()}-{id(report)}",
            pure=False,
        )
        futures[future] = day
    try:
        for count, future in enumerate(as_completed(futures), start=1):
            day = futures[future]
            if future.status == "error":
                exc = future.exception()
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                report.failed[day.label] = text
                log(f"  [{count}/{len(futures)}] {day.label} FAILED: {text}")
                continue
            future.result()
            report.done.append(day.label)
            elapsed = time.monotonic() - begin
            rate = len(report.done) / elapsed if elapsed > 0 else 0.0
            left = len(futures) - count
            eta = _duration(left / rate) if rate > 0 else "?"
            log(f"  [{count}/{len(futures)}] {day.label} done  {3600 * rate:.0f} days/h  ETA {eta}")
    except BaseException:
        client.cancel(list(futures), force=True)
        raise


def _check_request(index, first, method: Method, bbox: BBox | None, units: str | None) -> None:
    """Downscale one input frame here first, so a request no day can satisfy (a bbox beyond the input's
    region plus the method's halo, a method that does not load) is one clear error, not a failure per day."""
    from deepcams.io import open_cams

    if first not in index.frames:
        return  # that day is reported as lacking input
    # here, not on the cluster (the client is dask's default): a worker would open the file outside the
    # task that closes its files, and netCDF calls must stay on one thread (`tasks.produce_day`)
    with open_cams(index.frames[first], units=units, chunks={}) as cams, dask.config.set(scheduler="sync"):
        downscale(cams, method, bbox=bbox, start=first, end=first)


def _missing_reason(missing: list[pd.Timestamp], index) -> str:
    shown = ", ".join(t.strftime("%Y-%m-%dT%H") for t in missing[:3]) + (" ..." if len(missing) > 3 else "")
    text = f"input lacks {len(missing)} frame(s): {shown}"
    if index.unreadable:
        bad = list(index.unreadable.values())
        text += f" (unreadable input: {'; '.join(bad[:2])}{' ...' if len(bad) > 2 else ''})"
    return text
