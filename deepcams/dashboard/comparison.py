"""What the user asks for and what it gives: dataset, region, times, methods -> downscaled fields, metrics.

`Comparison` holds the request in params and composes library calls (`deepcams.downscale`,
`deepcams.compare`, `select_region`); it knows nothing of widgets, so the served app, notebooks and tests
drive the same object. `compute` does the heavy work without touching params, so the app can run it in a
worker thread and publish the result on the server's event loop (`publish`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import param
import torch
import xarray as xr

import deepcams
from deepcams.dashboard.cache import ResultCache
from deepcams.dashboard.insample import in_sample_share
from deepcams.dashboard.regions import CUSTOM, PRESETS
from deepcams.ensemble import QUANTILES
from deepcams.errors import DeepcamsError
from deepcams.grids import BBox, select_region, wrap_lon
from deepcams.methods import ENSEMBLE_METHOD, Method, method_spec
from deepcams.pipeline import estimate_output_bytes, select_times
from deepcams.recipes import ENSEMBLE_SIZE
from deepcams.sources import Source, Stations, catalog, stations
from deepcams.validation import validate

INPUT = "CAMS input"  # keys of `Comparison.fields`; the page shows each dataset's own words (`label`)
TRUTH = "GEOS-CF truth"
OPENING_METHODS = ("deepcams", "bicubic-linear")  # the page opens on this comparison
IN_SAMPLE = "in-sample"  # metrics column: share of the scored pixels a learned method's weights trained on
# the peak memory one run may take on this server (all methods together), checked before running
DEFAULT_MAX_REQUEST_BYTES = 3 * 1024**3
# a run's peak memory per byte of one method's output: measured 19-21 for baselines and the learned model
# (the RSS high-water mark of compute + outcome, Europe to global days), with a margin; tests/test_dashboard.py
# checks a run stays under the estimate
PEAK_PER_OUTPUT_BYTE = 24
RUN_OVERHEAD_BYTES = 64 * 1024**2

RESULTS = ResultCache()  # shared by all sessions of the server process


@cache
def prepare_in_background(roots: tuple[Path, ...] = ()) -> threading.Thread:
    """Open every dataset of the catalog in a background thread, once per process, so the demo world is
    generated (about 30 s on first use, then cached on disk) before anyone picks it; the built-in ones'
    scan for missing values too (0.1 s of their first run otherwise; a user's archive may be years)."""

    def prepare() -> None:
        for key, source in catalog(roots).items():
            try:
                source.open()
                if not key.startswith("user:"):
                    source.has_nan  # noqa: B018  (a cached property: computed here, once)
            except DeepcamsError:  # the page says why when the dataset is picked
                pass

    thread = threading.Thread(target=prepare, name="deepcams-prepare", daemon=True)
    thread.start()
    return thread


def estimate_peak_bytes(output_bytes: int, methods: int, read_bytes: int = 0) -> int:
    """Peak memory of a run whose methods each give `output_bytes`: the working arrays of one method at a
    time (downscaling, then cutting the truth and scoring), the results of the others kept meanwhile, and
    the chunks its input and truth are read in (`chunks_read_bytes`)."""
    return RUN_OVERHEAD_BYTES + output_bytes * (PEAK_PER_OUTPUT_BYTE + methods - 1) + read_bytes


def outputs_of(name: str) -> int:
    """How many single-method outputs method `name` holds at its peak: an ensemble its members, mean, spread
    and quantiles (`deepcams.pipeline`), any other method one."""
    return ENSEMBLE_SIZE + 2 + len(QUANTILES) if name == ENSEMBLE_METHOD else 1


def chunks_read_bytes(data: xr.DataArray | None, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Bytes a lazy (dask) `data` materializes to cut the hours `start..end`: every chunk they touch,
    whole (the demo world's truth comes in chunks of a day of the globe); 0 for data already in memory."""
    if data is None or data.chunks is None:
        return 0
    sizes = data.chunksizes["time"]
    edges = np.cumsum((0, *sizes))
    times = pd.DatetimeIndex(data["time"].values)
    first, last = times.searchsorted(start), times.searchsorted(end, "right")
    hours = sum(n for n, lo, hi in zip(sizes, edges[:-1], edges[1:], strict=True) if lo < last and hi > first)
    return hours * data.dtype.itemsize * (data.size // max(data.sizes["time"], 1))


class Cancelled(Exception):
    """Raised from the progress callback when the user pressed Cancel."""


def method_options(name: str, options: tuple[tuple[str, object], ...]) -> tuple[tuple[str, object], ...]:
    """Those of the controls' `options` that method `name` takes (its spec lists them; baselines none)."""
    takes = method_spec(name).options
    return tuple((key, value) for key, value in options if key in takes)


@cache
def method_for(name: str, options: tuple[tuple[str, object], ...] = ()) -> Method:
    """The method object, built once per process and shared by all runs (methods keep no per-run state;
    learned models load their weights here)."""
    return deepcams.get_method(name, **dict(options))


def station_scores(results: dict[str, xr.Dataset], stations: pd.DataFrame) -> pd.DataFrame:
    """Per product and station inside its region: `validate`'s N, R, RMSE, bias, MAE, and where to draw it.

    Longitudes follow each product's own axis (regions may run past 180), so the points sit on its map.
    """
    places = stations.groupby("station")[["lat", "lon"]].median()  # one position a station, as validate
    tables = []
    for name, product in results.items():
        try:
            scored = validate({name: product}, stations).per_station
        except DeepcamsError:  # no station with data inside this region and these hours: no points
            continue
        west = float(product["lon"].values[0])
        scored = scored.join(places, on="station")
        tables.append(scored.assign(lon=wrap_lon(scored["lon"], start=west)))
    columns = ["product", "station", "name", "lat", "lon", "n", "r", "rmse", "bias", "mae"]
    return pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)


def describe(method: Method) -> str:
    """Weights, architecture and device of a learned method, for display and the cache key: static attrs
    of the method (what one run measured lives in that run's output attrs)."""
    keys = [k for k in sorted(method.attrs) if "weights" in k or "architecture" in k or k == "device"]
    return ", ".join(f"{k}: {str(method.attrs[k])[:12]}" for k in keys)


@dataclass(frozen=True)
class Request:
    """One run: everything the results depend on, so it can key the cache."""

    dataset: str
    bbox: BBox
    start: pd.Timestamp
    end: pd.Timestamp
    methods: tuple[str, ...]
    options: tuple[tuple[str, object], ...] = ()

    def options_for(self, name: str) -> tuple[tuple[str, object], ...]:
        return method_options(name, self.options)

    def key(self, name: str, method: Method) -> tuple:
        return (
            self.dataset,
            str(self.bbox),
            self.start,
            self.end,
            name,
            self.options_for(name),
            describe(method),
        )


class Comparison(param.Parameterized):
    """The state of one comparison; changing the request shows the new input, `run` adds the results."""

    dataset = param.Selector(objects=[], check_on_set=True, doc="Dataset key in the catalog (never a path)")
    region = param.Selector(objects=[*PRESETS, CUSTOM], default="Europe")
    west = param.Number(PRESETS["Europe"].west, bounds=(-180, 360))
    south = param.Number(PRESETS["Europe"].south, bounds=(-90, 90))
    east = param.Number(PRESETS["Europe"].east, bounds=(-180, 360))
    north = param.Number(PRESETS["Europe"].north, bounds=(-90, 90))
    start = param.Selector(objects=[], check_on_set=True, doc="First input time")
    end = param.Selector(objects=[], check_on_set=True, doc="Last input time")
    methods = param.ListSelector(default=list(OPENING_METHODS), objects=[])
    conserve = param.Boolean(True, doc="Learned models: keep the CAMS cell means exactly")
    device = param.Selector(objects=["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"], default="cpu")
    max_request_bytes = param.Integer(
        DEFAULT_MAX_REQUEST_BYTES,
        bounds=(1, None),
        doc="Peak memory one run may take (`estimate_peak_bytes`)",
    )

    fields = param.Dict(default={}, doc="Name -> (time, lat, lon) DataArray shown on the maps")
    results = param.Dict(default={}, doc="Method -> downscaled Dataset of the last run")
    metrics = param.DataFrame(default=None, allow_None=True, doc="compare() of the last run against truth")
    request = param.ClassSelector(class_=Request, default=None, allow_None=True)
    station_scores = param.DataFrame(
        default=None, allow_None=True, doc="station_scores() of the last run; None without station files"
    )
    problem = param.String(default="", doc="The last error, one line, for the page to show")

    def __init__(
        self,
        roots: tuple[Path, ...] = (),
        cache: ResultCache | None = None,
        station_files: tuple[Path, ...] = (),
        preview: bool = True,
        **params,
    ):
        """`preview=False` starts with no fields: a page that runs at once skips drawing the preview's maps."""
        self.roots = tuple(roots)  # the page shows paths relative to these
        self.catalog: dict[str, Source] = catalog(self.roots)
        self.stations: Stations | None = stations(tuple(station_files))
        self.cache = RESULTS if cache is None else cache
        self._setting_preset = False
        # the last request's input and truth as cut for its maps: a preview's cut serves its run too (the
        # read of a region's truth was 0.1 s of click to maps); one entry, the fields shown hold it anyway
        self._cuts: tuple[tuple, tuple[xr.DataArray, xr.DataArray | None]] | None = None
        self._switching = False  # while a new dataset sets its times and region: one preview at the end
        # a page sets a context in which a change's many view updates reach its document together
        # (`Dashboard`: Panel's held, frozen document); outside a page nothing is held
        self.hold_page: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
        methods = deepcams.available_methods()
        self.param.methods.objects = methods
        self.param.methods.default = [m for m in OPENING_METHODS if m in methods]
        params.setdefault("methods", self.param.methods.default)
        self.param.dataset.objects = {s.label: k for k, s in self.catalog.items()}
        params.setdefault("dataset", next(iter(self.catalog)))
        params.setdefault("device", self.param.device.objects[-1])
        params.setdefault("region", self.catalog[params["dataset"]].region)
        super().__init__(**params)
        self._switching = True  # one preview at the end, if any
        try:
            self._times_changed()
            self._preset_changed()
        finally:
            self._switching = False
        if preview:
            self.preview()

    # --- request -------------------------------------------------------------------------------------

    @property
    def source(self) -> Source:
        return self.catalog[self.dataset]

    @property
    def bbox(self) -> BBox:
        return BBox(self.west, self.south, self.east, self.north)

    @property
    def hours(self) -> pd.DatetimeIndex:
        """The hours the fields cover together, in order (the views' hour selection indexes them)."""
        times = set()
        for field in self.fields.values():
            times |= set(pd.DatetimeIndex(field["time"].values))
        return pd.DatetimeIndex(sorted(times))

    def label(self, name: str) -> str:
        """What the page calls a field: the dataset's words for input and truth, the method's name."""
        return {INPUT: self.source.input_label, TRUTH: self.source.truth_label}.get(name, name)

    def caption(self) -> str:
        """One line on what is compared: the input, the truth, and what kind of input it is."""
        source = self.source
        methods = " and ".join(self.request.methods if self.request else self.methods) or "no method"
        if source.truth is None:
            return f"{methods} downscale the {source.input_label} ({source.input_kind}); no truth to score."
        measure = (
            "this measures downscaling"
            if source.input_kind == "coarsened truth"
            else "no downscaler can remove the input's own errors"
        )
        return (
            f"{methods} downscale the {source.input_label} ({source.input_kind}) and are scored against "
            f"the {source.truth_label}: {measure}."
        )

    def station_table(self) -> pd.DataFrame | None:
        """The dataset's own stations (the real sample's OpenAQ), else the configured station files."""
        if self.source.stations is not None:
            try:
                return self.source.stations()
            except (DeepcamsError, OSError):  # not packaged in this install: no station layer
                return None
        return None if self.stations is None else self.stations.table

    @param.depends("dataset", watch=True)
    def _dataset_changed(self) -> None:
        self._switching = True  # the old times and box do not fit the new dataset: preview once, at the end
        with self.hold_page():
            try:
                self._times_changed()
                self.region = self.source.region
            finally:
                self._switching = False
            self.preview()

    def _times_changed(self) -> None:
        try:
            times = self.source.times
        except DeepcamsError as exc:
            self.problem = str(exc)
            return
        labels = {f"{t:%Y-%m-%d %H:%M}": t for t in times}
        self.param.start.objects = labels
        self.param.end.objects = labels
        # a day from the first time by default: quick to run, long enough to see the hours move
        last = times[
            min(np.searchsorted(times, times[0] + pd.Timedelta(hours=24), "right") - 1, len(times) - 1)
        ]
        self.param.update(start=times[0], end=last)

    @param.depends("region", watch=True)
    def _preset_changed(self) -> None:
        if self.region == CUSTOM:
            return
        box = PRESETS[self.region]
        self._setting_preset = True
        try:
            with self.hold_page():  # the box's four sides, its preview and the overview's box at once
                self.param.update(west=box.west, south=box.south, east=box.east, north=box.north)
        finally:
            self._setting_preset = False

    @param.depends("west", "south", "east", "north", watch=True)
    def _box_changed(self) -> None:
        if not self._setting_preset and self.region != CUSTOM:
            self.region = CUSTOM

    def set_box(self, west: float, south: float, east: float, north: float) -> None:
        """A box drawn on the overview map (degrees, rounded to the GEOS-CF step)."""
        rounded = [round(float(v) * 4) / 4 for v in (west, south, east, north)]
        self.param.update(
            region=CUSTOM, **dict(zip(("west", "south", "east", "north"), rounded, strict=True))
        )

    def options(self) -> tuple[tuple[str, object], ...]:
        """The method options set by the controls; each method gets those it takes (`Request.options_for`)."""
        return (("conserve", self.conserve), ("device", self.device))

    def current_request(self) -> Request:
        """The request the widgets describe, checked: a bad box, empty range or oversized run is an error."""
        bbox = self.bbox
        if not self.methods:
            raise DeepcamsError("choose at least one method")
        if self.start is None or self.end is None:
            raise DeepcamsError("the dataset has no input times")
        cams = self.source.cams
        select_times(cams, self.start, self.end)
        truth = self.source.truth
        read = sum(
            chunks_read_bytes(None if d is None else d["pm25"], self.start, self.end) for d in (cams, truth)
        )
        output = estimate_output_bytes(cams, bbox, self.start, self.end)
        peak = estimate_peak_bytes(output, sum(map(outputs_of, self.methods)), read)
        if peak > self.max_request_bytes:
            raise DeepcamsError(
                f"request too large: about {peak / 1024**3:,.1f} GiB of memory at its peak for "
                f"{len(self.methods)} method(s) (this server allows {self.max_request_bytes / 1024**3:,.1f} GiB "
                "a run); choose a smaller region, fewer hours or fewer methods"
            )
        return Request(self.dataset, bbox, self.start, self.end, tuple(self.methods), self.options())

    def method_info(self) -> str:
        """Weights and device of the selected learned methods (baselines need none)."""
        lines = []
        for name in self.methods:
            if method_spec(name).learned:
                method = method_for(name, method_options(name, self.options()))
                lines.append(f"{name}: {describe(method) or 'no weights information'}")
        return "\n".join(lines)

    # --- work ----------------------------------------------------------------------------------------

    def in_sample(self, request: Request, truth: xr.DataArray) -> dict[str, float]:
        """Per learned method, the share of the scored pixels (the truth's columns) its weights trained on."""
        source = self.catalog[request.dataset]
        share = in_sample_share(source.training_name, truth["lon"].values)
        return {name: share for name in request.methods if method_spec(name).learned}

    def compute(
        self,
        request: Request,
        on_progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> dict[str, xr.Dataset]:
        """Downscale with every requested method, from the cache where possible; sets no params."""
        source = self.catalog[request.dataset]
        results = {}
        count = len(request.methods)
        for k, name in enumerate(request.methods):
            method = method_for(name, request.options_for(name))
            key = request.key(name, method)
            cached = self.cache.get(key)
            if cached is None:

                def step(done: int, total: int, k: int = k) -> None:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled()
                    if on_progress is not None:
                        on_progress((k + done / total) / count)

                cached = deepcams.downscale(
                    source.cams,
                    method,
                    bbox=request.bbox,
                    start=request.start,
                    end=request.end,
                    allow_nan=source.has_nan,
                    on_step=step,
                    batch=2,  # small steps: the bar moves and Cancel is seen often
                )
                self.cache.put(key, cached)
            results[name] = cached
            if on_progress is not None:
                on_progress((k + 1) / count)
        return results

    def input_field(self, request: Request) -> xr.DataArray:
        return self._cut(request)[0]

    def truth_field(self, request: Request) -> xr.DataArray | None:
        return self._cut(request)[1]

    def _cut(self, request: Request) -> tuple[xr.DataArray, xr.DataArray | None]:
        """The request's input and truth (None without one) in its box and times, read once for the
        preview and the run (a run's worker thread and the page's preview may both ask: the entry is
        swapped whole)."""
        source = self.catalog[request.dataset]
        key = (id(source), request.dataset, request.bbox, request.start, request.end)
        last = self._cuts
        if last is not None and last[0] == key:
            return last[1]
        cams = select_times(source.cams, request.start, request.end)
        cut = select_region(cams, request.bbox)["pm25"].load(), None
        if source.truth is not None:
            hours = source.truth.sel(time=slice(request.start, request.end))
            if hours.sizes["time"]:
                cut = cut[0], select_region(hours, request.bbox)["pm25"].load()
        self._cuts = key, cut
        return cut

    def outcome(
        self, request: Request, results: dict[str, xr.Dataset]
    ) -> tuple[dict[str, xr.DataArray], pd.DataFrame | None, pd.DataFrame | None]:
        """The maps (input, each method, truth), the metrics table and the station scores (None without
        station files) of a finished run; sets no params."""
        fields = {INPUT: self.input_field(request), **{n: ds["pm25"] for n, ds in results.items()}}
        truth = self.truth_field(request)
        metrics = None
        if truth is not None:
            fields[TRUTH] = truth
            metrics = deepcams.compare(results, truth.to_dataset())  # every method on the common pixels
            metrics[IN_SAMPLE] = pd.Series(self.in_sample(request, truth), dtype="float64")
        table = self.station_table()
        return fields, metrics, None if table is None else station_scores(results, table)

    def publish(
        self,
        request: Request,
        results: dict[str, xr.Dataset],
        fields: dict[str, xr.DataArray],
        metrics: pd.DataFrame | None,
        scores: pd.DataFrame | None = None,
    ) -> None:
        self.param.update(
            fields=fields,
            results=results,
            metrics=metrics,
            station_scores=scores,
            request=request,
            problem="",
        )

    def publish_scores(
        self, results: dict[str, xr.Dataset], metrics: pd.DataFrame | None, scores: pd.DataFrame | None = None
    ) -> None:
        """The run's scores ahead of its maps (the page shows the table while the maps, seconds of work
        on the server, are built); `publish_fields` then shows the rest of the run."""
        self.param.update(results=results, metrics=metrics, station_scores=scores, problem="")

    def publish_fields(self, request: Request, fields: dict[str, xr.DataArray]) -> None:
        """The maps and series of the run whose scores `publish_scores` showed."""
        self.param.update(fields=fields, request=request, problem="")

    def run(self) -> dict[str, xr.Dataset]:
        """Check, compute and show in one call (notebooks and tests; the app runs `compute` in a thread)."""
        request = self.current_request()
        results = self.compute(request)
        self.publish(request, results, *self.outcome(request, results))
        return results

    @param.depends("west", "south", "east", "north", "start", "end", watch=True)
    def preview(self) -> None:
        """Show the input (and truth) of the current request at once, before any run."""
        if self._switching:
            return
        try:
            request = Request(self.dataset, self.bbox, self.start, self.end, ())
            select_times(self.source.cams, self.start, self.end)
            fields = {INPUT: self.input_field(request)}
            truth = self.truth_field(request)
        except DeepcamsError as exc:
            self.problem = str(exc)
            return
        if truth is not None:
            fields[TRUTH] = truth
        with self.hold_page():
            self.param.update(
                fields=fields, results={}, metrics=None, station_scores=None, request=None, problem=""
            )
