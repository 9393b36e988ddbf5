"""The learned models as a downscaling method: numpy in, numpy out, like the baselines.

`DeepTemporal.interpolate` and `DeepSpatial.upsample` follow the baselines' interfaces
(`deepcams.methods.temporal`, `deepcams.methods.spatial`), so the pipeline runs them unchanged: it adds
the halo (wrapping longitude, mirroring across the poles), the networks run in tiles, and conservation
makes every 3 x 3 block mean equal its CAMS value.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from deepcams.covariates import covariates
from deepcams.errors import DeepcamsError
from deepcams.grids import FACTOR, Footprint
from deepcams.methods import ENSEMBLE_METHOD, MassTally, Method
from deepcams.methods.spatial import block_means
from deepcams.methods.spatial import upsample as interpolate_spatial
from deepcams.methods.temporal import keys_cubic, with_linear_edges
from deepcams.models.checkpoint import load_checkpoint, sha256
from deepcams.recipes import ENSEMBLE_SIZE

DEFAULT_TILE = 128  # coarse cells per tile side
# the shipped T-SR: the mean of this many ensemble members' T-SR (docs/model-card.md: it errs less than a
# typical member on held-out real hourly data, for 0.13-0.14 s more per region day on 2 CPU cores)
TSR_MEMBERS = 5
BATCH_CELLS = 16_384  # coarse cells per network call (frames x tile cells), at least one frame


def default_weights(stage: str) -> Path:
    """The weights shipped in the package for stage 'tsr' or 'ssr'."""
    return Path(str(files("deepcams") / "data" / "weights" / f"{stage}.safetensors"))


def member_weights(stage: str, member: int) -> Path:
    """The weights of ensemble member `member` for stage 'tsr' or 'ssr'; member 0 is the shipped weights."""
    if member == 0:
        return default_weights(stage)
    return Path(str(files("deepcams") / "data" / "weights" / "ensemble" / f"{stage}-{member}.safetensors"))


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeepcamsError("device 'cuda' requested but no CUDA GPU is available")
    return device


def autocast(device: torch.device):
    """Mixed precision on CUDA; full float32 (and deterministic results) on the CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def _nhwc(x: torch.Tensor) -> torch.Tensor:
    """Channels-last layout: oneDNN's (and cuDNN's) fast convolution path, 1.6x on this project's CPUs
    for the S-SR (docs/benchmarks.md); same values to float32 rounding."""
    return x.contiguous(memory_format=torch.channels_last)


@lru_cache(maxsize=2 * ENSEMBLE_SIZE + 4)  # every member of both stages, and a few weights of one's own
def _load(path: str, stage: str, device: str):
    model, transform, meta = load_checkpoint(path, stage=stage)
    return model.to(device, memory_format=torch.channels_last), transform, meta, sha256(path)


def conserve_multiplicative(
    fine: np.ndarray, coarse: np.ndarray, row_weights: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Scale every 3 x 3 block so its mean equals the coarse value; non-negative stays non-negative.

    A block whose prediction is all zero takes the coarse value uniformly. Negative coarse values (CAMS
    holds a few of about -3e-21) count as 0. Returns the corrected field and the correction size: the
    sum of |change| over the sum of |prediction| (0 = the network already conserved mass).
    """
    target = np.maximum(coarse.astype("float64"), 0.0)
    means = block_means(fine, row_weights)
    live = means > 1e-30
    factor = np.where(live, target / np.where(live, means, 1.0), 1.0)
    spread = lambda a: np.repeat(np.repeat(a, FACTOR, axis=-2), FACTOR, axis=-1)  # noqa: E731
    out = np.where(spread(live), fine * spread(factor), spread(target))
    if row_weights is not None:  # blocks wholly beyond a pole have no mean to keep
        rows = np.asarray(row_weights).reshape(-1, FACTOR).sum(axis=1) > 0
        out = np.where(np.repeat(rows, FACTOR)[:, None], out, fine)
    change = np.nansum(np.abs(out - fine))
    size = float(change / max(np.nansum(np.abs(fine)), 1e-30))
    return out.astype("float32"), size


class DeepSpatial:
    """Stage 2: CAMS cells (..., h, w) -> GEOS-CF pixels (..., 3h, 3w), in overlapping tiles.

    A network with covariates gets those of the block from `footprint` (where the block lies). Where a
    missing input cell lies within the network's reach (`radius` cells) of a block, that block is the
    bicubic upsampling instead, and where the bicubic's own taps (2 cells) hold one, the cell's value
    itself: a NaN makes NaN only in its own block, and the network's output is untouched elsewhere.
    """

    members = None  # one network (`deepcams.models.members`: N of them, frames N at a time)

    def __init__(self, path: Path, device: torch.device, conserve: bool, tile: int):
        self.model, self.transform, self.meta, self.sha256 = self._weights(path, device)
        self.device = device
        self.conserve = conserve
        self.tile = int(tile)
        if self.tile < 8:
            raise DeepcamsError(f"tile must be at least 8 coarse cells, got {tile}")
        self.name = f"deepcams-{self.meta['architecture']}"
        self.halo = self.model.radius  # the pipeline's halo covers the receptive field exactly
        self.covariates = tuple(getattr(self.model, "covariates", ()))

    @staticmethod
    def _weights(path: Path, device: torch.device):
        return _load(str(path), "ssr", str(device))

    def _network(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model(*inputs)

    @torch.inference_mode()
    def _run(self, coarse: np.ndarray, surface: np.ndarray | None) -> np.ndarray:
        # a few frames at a time: on the CPU, batches of fine-resolution activations larger than the
        # caches ran 3 times slower per frame (benchmarks/bench_downscale.py, region case); batched
        # members come in whole groups (one hour's members)
        group = self.members or 1
        frames = group * max(1, BATCH_CELLS // (group * coarse.shape[-2] * coarse.shape[-1]))
        extra = () if surface is None else (torch.tensor(surface)[None].to(self.device),)
        out = []
        for k in range(0, coarse.shape[0], frames):
            chunk = np.ascontiguousarray(coarse[k : k + frames], dtype="float32")
            x = _nhwc(torch.from_numpy(chunk).to(self.device)[:, None])
            with autocast(self.device):
                y = self._network(
                    self.transform.forward(x), *(e.expand(x.shape[0], -1, -1, -1) for e in extra)
                )
            out.append(torch.clamp(self.transform.inverse(y.float()), min=0.0)[:, 0].cpu().numpy())
        return np.concatenate(out)

    def upsample(
        self,
        coarse: np.ndarray,
        row_weights: np.ndarray | None = None,
        tally: MassTally | None = None,
        footprint: Footprint | None = None,
    ) -> np.ndarray:
        """Fine pixels of every coarse block; what conservation changed is added to the run's `tally`."""
        lead = coarse.shape[:-2]
        h, w = coarse.shape[-2:]
        flat = coarse.reshape(-1, h, w)
        surface = None
        if self.covariates:
            if footprint is None or footprint.coarse_lat.size != h or footprint.coarse_lon.size != w:
                raise DeepcamsError(
                    f"{self.name} needs the footprint of its {h} x {w} block (its covariates)"
                )
            surface = covariates(footprint.block_lat, footprint.block_lon, self.covariates)
        missing = np.isnan(flat)
        network_input = np.where(missing, 0.0, flat) if missing.any() else flat
        fine = np.empty((flat.shape[0], FACTOR * h, FACTOR * w), dtype="float32")
        r = self.halo
        for r0 in range(0, h, self.tile):
            for c0 in range(0, w, self.tile):
                r1, c1 = min(r0 + self.tile, h), min(c0 + self.tile, w)
                a0, a1 = max(r0 - r, 0), min(r1 + r, h)
                b0, b1 = max(c0 - r, 0), min(c1 + r, w)
                cut = (
                    None
                    if surface is None
                    else surface[:, FACTOR * a0 : FACTOR * a1, FACTOR * b0 : FACTOR * b1]
                )
                out = self._run(network_input[:, a0:a1, b0:b1], cut)
                fine[:, FACTOR * r0 : FACTOR * r1, FACTOR * c0 : FACTOR * c1] = out[
                    :, FACTOR * (r0 - a0) : FACTOR * (r1 - a0), FACTOR * (c0 - b0) : FACTOR * (c1 - b0)
                ]
        if missing.any():
            fine = self._around_gaps(fine, flat, missing)
        if self.conserve:
            before = float(np.nansum(np.abs(fine)))
            fine, size = conserve_multiplicative(fine, flat, row_weights)
            if tally is not None:
                tally.add(size * before, before)
        return fine.reshape(*lead, FACTOR * h, FACTOR * w)

    def _around_gaps(self, fine: np.ndarray, coarse: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """The rule of the class docstring: bicubic, then the cell's own value, where the network saw a NaN."""
        reach = 2 * self.halo + 1
        near = F.max_pool2d(torch.from_numpy(missing.astype("float32"))[:, None], reach, 1, self.halo)
        spread = lambda a: np.repeat(np.repeat(a, FACTOR, axis=-2), FACTOR, axis=-1)  # noqa: E731
        bicubic = np.maximum(interpolate_spatial(coarse, "bicubic"), 0.0)
        fallback = np.where(np.isnan(bicubic), spread(coarse), bicubic)
        return np.where(spread(near[:, 0].numpy() > 0), fallback, fine).astype("float32")


class DeepTemporal:
    """Stage 1: 3-hourly CAMS frames (T, h, w) -> hourly frames (1 + (T - 1) * step, h, w).

    Each hour between two input frames is the network's correction of the Keys cubic interpolation of the
    four frames around it; an interval without both neighbour frames (a run's first and last, when the
    input has no context beyond them) is the base itself, extrapolated linearly at the edge. Where an input cell within
    the network's reach (`radius` cells, in any of the four frames) is missing, the output is the cubic
    base itself, so a NaN spreads no further than the base's own footprint: the cell itself.
    """

    context = 1  # one input step each side beyond the interval: the pipeline passes them when it has them

    members = None  # one network: no member axis in the output (`deepcams.models.members`: N of them)

    def __init__(self, path: Path, device: torch.device, batch: int):
        self.model, self.transform, self.meta, self.sha256 = self._weights(path, device)
        self.device = device
        self.batch = int(batch)
        self.name = f"deepcams-{self.meta['architecture']}"
        self.radius = self.model.radius

    @staticmethod
    def _weights(path: Path, device: torch.device):
        return _load(str(path), "tsr", str(device))

    def _corrections(self, *inputs: torch.Tensor) -> torch.Tensor:
        """The network's output (in asinh units) for a batch of jobs: (jobs, members or 1, H, W)."""
        with autocast(self.device):
            return self.model(*inputs)

    @torch.inference_mode()
    def interpolate(
        self, frames: np.ndarray, step: int, times: np.ndarray | None = None, lon: np.ndarray | None = None
    ) -> np.ndarray:
        """`times` (datetime64, one per frame) and `lon` (one per column) give the local solar time; without
        them the network runs without it (it was trained to, on a share of its examples).

        The field is padded by `radius` cells replicating its edges before the network runs, as the
        pipeline's halo does for a regional input, so even a single cell gets a sensible context.
        """
        count = frames.shape[0]
        hours = np.arange(1 + (count - 1) * step) / step
        out = np.maximum(keys_cubic(frames, hours), 0.0).astype("float32")
        out[::step] = frames  # the input times are the input, exactly
        # (hours, networks, h, w) while it is filled
        out = np.repeat(out[:, None], getattr(self.model, "size", 1), axis=1)
        if count == 1 or step == 1:
            return self._finish(out)
        r = self.radius
        pad = lambda a: F.pad(a, (r, r, r, r), mode="replicate")  # noqa: E731  (N, C, h, w) tensors
        extended = with_linear_edges(frames)  # index k + 1 is frame k; the ends are extrapolated
        missing = np.isnan(extended)
        x = self.transform.forward(
            pad(torch.from_numpy(np.where(missing, 0.0, extended).astype("float32"))[:, None])
        )
        near_gap = (
            F.max_pool2d(torch.from_numpy(missing.astype("float32"))[:, None], 2 * r + 1, 1, r)[:, 0] > 0
        )
        known = times is not None and lon is not None
        if known:
            start = _hours_since_midnight(times[0])
            lon = np.asarray(lon, dtype="float64")
            step_lon = lon[1] - lon[0] if lon.size > 1 else 0.75
            lon = np.concatenate(
                [lon[0] - step_lon * np.arange(r, 0, -1), lon, lon[-1] + step_lon * np.arange(1, r + 1)]
            )
        # only intervals with both neighbour frames: at a run's ends (no context) the extrapolated taps lie
        # outside what the network learned from, and there the hour is the base (linear for two frames)
        jobs = [(k, j) for k in range(1, count - 2) for j in range(1, step)]
        for begin in range(0, len(jobs), self.batch):
            chunk = jobs[begin : begin + self.batch]
            taps = np.array([[k + d for d in (0, 1, 2, 3)] for k, _ in chunk])  # frames k-1 .. k+2
            intervals = sorted({k for k, _ in chunk})  # the network's motion: once per interval
            interval = torch.tensor([intervals.index(k) for k, _ in chunk])
            frames_in = x[[[k + d for d in (0, 1, 2, 3)] for k in intervals], 0]
            rows = [k * step + j for k, j in chunk]
            base = self.transform.forward(pad(torch.from_numpy(np.nan_to_num(out[rows, 0]))[:, None]))
            t = torch.tensor([j / step for _, j in chunk], dtype=torch.float32)
            shape = (len(chunk), 2, *base.shape[-2:])
            solar = (
                torch.from_numpy(np.stack([solar_time_features(start + row, lon, shape[-2]) for row in rows]))
                if known
                else torch.zeros(shape)
            )
            y = self._corrections(
                *(
                    _nhwc(a.to(self.device)) if a.ndim == 4 else a.to(self.device)
                    for a in (frames_in, base, t, solar, interval)
                )
            )
            frame = torch.clamp(self.transform.inverse(y.float()), min=0.0)[:, :, r:-r, r:-r].cpu().numpy()
            unsure = near_gap[taps].any(axis=1).numpy()[:, None]
            out[rows] = np.where(unsure, out[rows], frame)
        return self._finish(out)

    def _finish(self, out: np.ndarray) -> np.ndarray:
        """The filled (hours, networks, h, w) as the stage's output."""
        return out if self.members else out[:, 0]


class SequentialNetworks:
    """T-SR networks called one after another on the same inputs: (jobs, N, H, W), member m at m. On the
    CPU that is faster than `deepcams.models.members`' batched call for networks this small."""

    def __init__(self, models: list[torch.nn.Module]):
        self.models, self.size, self.radius = models, len(models), models[0].radius

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat([model(*inputs) for model in self.models], dim=1)


class AveragedTemporal(DeepTemporal):
    """The T-SR of several ensemble members as one deterministic stage: each hour is their mean (ug m-3).

    Independently seeded members err differently between the input hours, so their mean errs less than
    a typical one on real hourly data none of them trained on (docs/model-card.md). The members share one
    architecture, reach and value transform, so they share every input too (base, solar time, missing
    cells) and a missing value's footprint is one member's; each member's hour is clamped as its own
    run's is, then they are averaged.
    """

    def __init__(self, paths: list[Path], device: torch.device, batch: int):
        self.paths = paths
        super().__init__(paths[0], device, batch)
        self.name = f"{self.name} (mean of {len(paths)})"

    def _weights(self, path: Path, device: torch.device):
        loaded = [_load(str(p), "tsr", str(device)) for p in self.paths]
        first = loaded[0]
        if any(
            model.radius != first[0].radius
            or transform != first[1]
            or meta["architecture"] != first[2]["architecture"]
            for model, transform, meta, _ in loaded
        ):
            raise DeepcamsError("the averaged T-SR members must share one architecture, reach and transform")
        models = SequentialNetworks([model for model, *_ in loaded])
        return models, first[1], first[2], " ".join(sha for *_, sha in loaded)

    def _finish(self, out: np.ndarray) -> np.ndarray:
        # summed in float64: where every member gives the same value (the input hours, the base) the mean is
        # that value exactly
        return np.mean(out, axis=1, dtype="float64").astype("float32")


def _hours_since_midnight(time: np.datetime64) -> float:
    stamp = np.datetime64(time, "s")
    return float((stamp - stamp.astype("datetime64[D]")) / np.timedelta64(1, "h"))


def solar_time_features(utc_hours: float, lon: np.ndarray, rows: int) -> np.ndarray:
    """(2, rows, len(lon)) float32: sin and cos of each column's local solar time at `utc_hours` UTC."""
    phase = 2 * np.pi * ((utc_hours + np.asarray(lon, dtype="float64") / 15.0) % 24.0) / 24.0
    return np.broadcast_to(np.stack([np.sin(phase), np.cos(phase)])[:, None, :], (2, rows, len(lon))).astype(
        "float32"
    )


def deepcams_method(
    conserve: bool = True,
    device: str = "auto",
    tile: int = DEFAULT_TILE,
    batch: int = 8,
    tsr_weights: str | Path | None = None,
    ssr_weights: str | Path | None = None,
    member: int = 0,
    tsr_members: int = TSR_MEMBERS,
) -> Method:
    """The two-stage DeepCAMS method (T-SR then S-SR) with the shipped weights unless others are given.

    The shipped T-SR is the mean of the first `tsr_members` ensemble members' T-SR (`AveragedTemporal`,
    deterministic); the S-SR is member 0's. `member` K > 0 (the ensemble's members) or `tsr_weights` give
    one T-SR network alone, as `tsr_members=1` does.
    """
    device = resolve_device(device)
    if (
        isinstance(tsr_members, bool)
        or not isinstance(tsr_members, int | np.integer)
        or not (1 <= tsr_members <= ENSEMBLE_SIZE)
    ):
        raise DeepcamsError(f"tsr_members must be 1 .. {ENSEMBLE_SIZE}, got {tsr_members!r}")
    averaged = tsr_weights is None and member == 0 and tsr_members > 1
    tsr_paths = (
        [member_weights("tsr", k) for k in range(tsr_members)]
        if averaged
        else [Path(tsr_weights) if tsr_weights else member_weights("tsr", member)]
    )
    ssr_path = Path(ssr_weights) if ssr_weights else member_weights("ssr", member)
    for stage, path in [("tsr", path) for path in tsr_paths] + [("ssr", ssr_path)]:
        if not path.is_file():
            hint = (
                "`make ensemble`" if member or path.parent.name == "ensemble" else f"`deepcams train {stage}`"
            )
            raise DeepcamsError(f"no {stage} weights at {path} (train them with {hint})")
    attrs = {"device": str(device), "conservation": "on" if conserve else "off"}
    if averaged:
        temporal = AveragedTemporal(tsr_paths, device, batch)
    else:
        temporal = DeepTemporal(tsr_paths[0], device, batch)
    spatial = DeepSpatial(ssr_path, device, conserve, tile)
    attrs.update(
        tsr_weights_sha256=temporal.sha256,
        ssr_weights_sha256=spatial.sha256,
        tsr_architecture=temporal.meta["architecture"],
        ssr_architecture=spatial.meta["architecture"],
    )
    return Method("deepcams", temporal, spatial, attrs)


def deepcams_ensemble(
    size: int = ENSEMBLE_SIZE,
    conserve: bool = True,
    device: str = "auto",
    tile: int = DEFAULT_TILE,
    batch: int = 8,
    batch_members: bool | None = None,
) -> Method:
    """The first `size` members of the DeepCAMS deep ensemble (`make ensemble`), member 0 the shipped pair.

    `batch_members` runs all members in each network call (`deepcams.models.members`); by default on CUDA
    only: on the CPU the members run one by one, deterministic, as batched they ran 2.2 times slower there
    (docs/benchmarks.md).
    """
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or not 2 <= size <= ENSEMBLE_SIZE:
        raise DeepcamsError(f"ensemble size must be 2 .. {ENSEMBLE_SIZE} members, got {size!r}")
    members = tuple(
        deepcams_method(conserve=conserve, device=device, tile=tile, batch=batch, member=k, tsr_members=1)
        for k in range(size)
    )
    attrs = dict(members[0].attrs)
    for key in ("tsr_weights_sha256", "ssr_weights_sha256"):
        attrs[key] = " ".join(m.attrs[key] for m in members)
    attrs["ensemble_size"] = size
    resolved = resolve_device(device)
    if batch_members is None:
        batch_members = resolved.type == "cuda"
    batched = None
    if batch_members:
        from deepcams.models.members import BatchedSpatial, BatchedTemporal

        paths = {stage: [member_weights(stage, k) for k in range(size)] for stage in ("tsr", "ssr")}
        batched = Method(
            ENSEMBLE_METHOD,
            BatchedTemporal(paths["tsr"], resolved, batch),
            BatchedSpatial(paths["ssr"], resolved, conserve, tile),
            attrs,
        )
    attrs["members_batched"] = "yes" if batched is not None else "no"
    return Method(ENSEMBLE_METHOD, members[0].temporal, members[0].spatial, attrs, members, batched)
