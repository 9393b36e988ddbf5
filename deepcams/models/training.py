"""Training both stages from GEOS-CF-like hourly 0.25 deg data, in the paper's simulation protocol.

Low-resolution inputs come from the project's own operators (`deepcams.grids.coarsen`, and 3-hourly
subsampling for time), the ones the evaluation uses. Training and validation are split by longitude band
(never by random pixels): with the real sample, two visible bands train and the third validates. Every
epoch writes a resumable checkpoint and a CSV row with validation scores of the model AND of the
baseline (bicubic in space, linear in time) on the same validation data.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from torch import nn
from tqdm.auto import tqdm

from deepcams.errors import DeepcamsError
from deepcams.grids import CAMS, FACTOR, GEOSCF, coarsen, take
from deepcams.io.conventions import check_canonical
from deepcams.methods.spatial import upsample as interpolate_spatial
from deepcams.models.checkpoint import read_metadata, read_tensors, save_checkpoint
from deepcams.models.inference import autocast, conserve_multiplicative, resolve_device
from deepcams.models.registry import DEFAULT_ARCHITECTURE, STAGES, build_model
from deepcams.models.transform import AsinhTransform

# The real sample's visible longitude bands: two train, the third validates (Atlantic, Saharan dust).
TRAIN_BANDS = ((-180.0, -120.0), (60.0, 120.0))
VAL_BAND = (-60.0, 0.0)
MAX_GAP_HOURS = 6  # temporal training triplets span at most this many hours


@dataclass
class Field:
    """One source's frames, aligned: fine (T, 3h, 3w) is the truth for the coarse (T, h, w) blocks."""

    name: str
    coarse: np.ndarray
    fine: np.ndarray | None
    hours: np.ndarray  # hours since the first frame
    weight: float = 1.0  # sampling weight per cell-frame (sources are mixed by share, not by size)


def _hours(ds: xr.Dataset) -> np.ndarray:
    times = ds["time"].values.astype("datetime64[s]").astype("int64")
    return (times - times[0]) / 3600.0


def band_fields(ds: xr.Dataset, bands: Sequence[tuple[float, float]], name: str) -> list[Field]:
    """Coarsen GEOS-CF-like data and cut aligned coarse/fine arrays for each longitude band [W, E).

    Only CAMS cells whose whole 3 x 3 block lies inside the band are kept, so no truth pixel of one band
    is seen by another; the half pole cells are left out (their blocks are not 3 x 3).
    """
    check_canonical(ds)
    if not GEOSCF.contains(ds):
        raise DeepcamsError(f"training data {name!r} is not on the GEOS-CF 0.25 deg grid")
    coarse = coarsen(ds["pm25"])
    keep_lat = np.abs(coarse["lat"].values) < 90.0 - 1e-6
    lat_c = coarse["lat"].values[keep_lat]
    fields = []
    for west, east in bands:
        lon_c = coarse["lon"].values
        wrapped = (lon_c - west) % 360.0  # the band starts at 0 here, crossing the antimeridian if needed
        inside = (wrapped - GEOSCF.step >= -1e-6) & (wrapped + GEOSCF.step < (east - west) % 360.0 - 1e-6)
        if (east - west) % 360.0 == 0:
            inside[:] = True
        cols = np.flatnonzero(inside)
        if cols.size < 8:
            raise DeepcamsError(f"longitude band {west:g}..{east:g} holds fewer than 8 whole CAMS cells")
        cols = cols[np.argsort(wrapped[cols])]
        lon_band = west + wrapped[cols]
        c = take(coarse, CAMS, lat_c, lon_band).values.astype("float32")
        offsets = GEOSCF.step * np.arange(-1, 2)
        fine_lat = (lat_c[:, None] + offsets).ravel()
        fine_lon = (lon_band[:, None] + offsets).ravel()
        f = take(ds["pm25"], GEOSCF, fine_lat, fine_lon).values.astype("float32")
        fields.append(Field(f"{name} lon {west:g}..{east:g}", c, f, _hours(ds)))
    return fields


def coarse_band_fields(ds: xr.Dataset, bands: Sequence[tuple[float, float]], name: str) -> list[Field]:
    """CAMS-grid data (e.g. the real CAMS sample) cut to longitude bands, for the temporal stage only."""
    check_canonical(ds)
    fields = []
    for west, east in bands:
        lon = ds["lon"].values
        wrapped = (lon - west) % 360.0
        cols = np.flatnonzero(wrapped < (east - west) % 360.0 - 1e-6)
        cols = cols[np.argsort(wrapped[cols])]
        lat = ds["lat"].values[np.abs(ds["lat"].values) < 90.0 - 1e-6]
        c = take(ds["pm25"], CAMS, lat, west + wrapped[cols]).values.astype("float32")
        fields.append(Field(f"{name} lon {west:g}..{east:g}", c, None, _hours(ds)))
    return fields


def mix_by_share(groups: Sequence[tuple[list[Field], float]]) -> list[Field]:
    """All fields, weighted so that each group yields its share of the training patches whatever its
    size (a few real frames would otherwise drown in days of synthetic world); by size within a group."""
    total = sum(share for fields, share in groups if fields)
    out = []
    for fields, share in groups:
        cells = sum(f.coarse.size for f in fields)
        for f in fields:
            f.weight = share / total / cells
            out.append(f)
    return out


# --- sampling ------------------------------------------------------------------------------------------


def _augment(arrays: list[np.ndarray], rng: np.random.Generator, rotate: bool) -> list[np.ndarray]:
    """The same random flips (and quarter turns) for every array: the statistics are isotropic enough."""
    turns = int(rng.integers(4)) if rotate else 0
    flip_lat, flip_lon = rng.integers(2, size=2)
    out = []
    for a in arrays:
        a = np.rot90(a, turns, axes=(-2, -1))
        if flip_lat:
            a = a[..., ::-1, :]
        if flip_lon:
            a = a[..., ::-1]
        out.append(np.ascontiguousarray(a))
    return out


def _pick(fields: list[Field], rng: np.random.Generator, patch: int) -> tuple[Field, int, int]:
    sizes = np.array([f.weight * f.coarse.size for f in fields], float)
    field_ = fields[int(rng.choice(len(fields), p=sizes / sizes.sum()))]
    h, w = field_.coarse.shape[-2:]
    if h < patch or w < patch:
        raise DeepcamsError(f"{field_.name}: {h} x {w} cells is smaller than the patch ({patch})")
    return field_, int(rng.integers(h - patch + 1)), int(rng.integers(w - patch + 1))


def sample_spatial(fields: list[Field], rng: np.random.Generator, batch: int, patch: int):
    """A batch of coarse patches (B, 1, p, p) and their truth (B, 1, 3p, 3p), free of NaN."""
    xs, ys = [], []
    for _ in range(100 * batch):
        field_, r, c = _pick(fields, rng, patch)
        k = int(rng.integers(field_.coarse.shape[0]))
        x = field_.coarse[k, r : r + patch, c : c + patch]
        y = field_.fine[k, FACTOR * r : FACTOR * (r + patch), FACTOR * c : FACTOR * (c + patch)]
        if np.isnan(x).any() or np.isnan(y).any():
            continue
        x, y = _augment([x, y], rng, rotate=True)
        xs.append(x)
        ys.append(y)
        if len(xs) == batch:
            return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys)[:, None])
    raise DeepcamsError("could not find NaN-free training patches; check the training bands")


def triplets(hours: np.ndarray) -> list[tuple[int, int, int]]:
    """(first, middle, last) frame indices with the middle strictly inside, spanning <= MAX_GAP_HOURS."""
    out = []
    for a in range(len(hours)):
        for b in range(a + 2, len(hours)):
            if hours[b] - hours[a] <= MAX_GAP_HOURS:
                out.extend((a, m, b) for m in range(a + 1, b))
    return out


def sample_temporal(fields: list[Field], rng: np.random.Generator, batch: int, patch: int):
    """Batches (I0, I1, t, truth at t) of CAMS-grid patches, time reversed at random."""
    i0s, i1s, ts, ys = [], [], [], []
    usable = [f for f in fields if triplets(f.hours)]
    if not usable:
        raise DeepcamsError("temporal training needs sources with at least three frames")
    for _ in range(100 * batch):
        field_, r, c = _pick(usable, rng, patch)
        trips = triplets(field_.hours)
        a, m, b = trips[int(rng.integers(len(trips)))]
        t = (field_.hours[m] - field_.hours[a]) / (field_.hours[b] - field_.hours[a])
        frames = field_.coarse[[a, b, m], r : r + patch, c : c + patch]
        if np.isnan(frames).any():
            continue
        (frames,) = _augment([frames], rng, rotate=True)
        if rng.integers(2):
            frames, t = frames[[1, 0, 2]], 1.0 - t
        i0s.append(frames[0])
        i1s.append(frames[1])
        ys.append(frames[2])
        ts.append(t)
        if len(ys) == batch:
            stack = lambda a: torch.from_numpy(np.stack(a)[:, None])  # noqa: E731
            return stack(i0s), stack(i1s), torch.tensor(ts, dtype=torch.float32), stack(ys)
    raise DeepcamsError("could not find NaN-free training patches; check the training bands")


# --- loss and validation -------------------------------------------------------------------------------


def loss_fn(
    pred_t: torch.Tensor, truth: torch.Tensor, transform: AsinhTransform, margin: int
) -> torch.Tensor:
    """L1 in the transformed space (all magnitudes) plus L1 in ug m-3 relative to the batch mean
    (what MAE and RMSE weigh: the high values), on the patch interior."""
    if margin:
        pred_t = pred_t[..., margin:-margin, margin:-margin]
        truth = truth[..., margin:-margin, margin:-margin]
    truth_t = transform.forward(truth)
    pred = transform.inverse(pred_t)
    return (pred_t - truth_t).abs().mean() + (pred - truth).abs().mean() / (truth.abs().mean() + 1e-3)


def _scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    valid = np.isfinite(pred) & np.isfinite(truth)
    err = pred[valid].astype("float64") - truth[valid]
    return float(np.abs(err).mean()), float(np.sqrt((err**2).mean()))


@torch.inference_mode()
def validate_spatial(model, transform, fields: list[Field], device) -> dict[str, float]:
    """Model (raw and mass-conserving) vs bicubic on whole validation bands, edges of the receptive
    field's width left out (inside the pipeline a halo gives those cells their context)."""
    m = model.radius
    preds, conserved, bicubic, truths, losses = [], [], [], [], []
    for f in fields:
        x = torch.from_numpy(f.coarse[:, None]).to(device)
        with autocast(device):
            y = model(transform.forward(x)).float()
        truth = torch.from_numpy(f.fine[:, None]).to(device)
        losses.append(float(loss_fn(y, truth, transform, FACTOR * m)))
        pred = torch.clamp(transform.inverse(y), min=0)[:, 0].cpu().numpy()
        crop = (slice(None), slice(FACTOR * m, -FACTOR * m), slice(FACTOR * m, -FACTOR * m))
        preds.append(pred[crop].ravel())
        conserved.append(conserve_multiplicative(pred, f.coarse)[0][crop].ravel())
        bicubic.append(interpolate_spatial(f.coarse, "bicubic")[crop].ravel())
        truths.append(f.fine[crop].ravel())
    truth = np.concatenate(truths)
    out = {"val_loss": float(np.mean(losses))}
    for name, values in (("model", preds), ("model_conserved", conserved), ("bicubic", bicubic)):
        mae, rmse = _scores(np.concatenate(values), truth)
        out[f"{name}_mae"], out[f"{name}_rmse"] = mae, rmse
    return out


@torch.inference_mode()
def validate_temporal(model, transform, fields: list[Field], device, step: int = 3) -> dict[str, float]:
    """Model vs linear interpolation at the hours between frames `step` hours apart, band edges left out."""
    m = 4
    preds, linear, truths, losses = [], [], [], []
    for f in fields:
        for a in range(len(f.hours)):
            bs = np.flatnonzero(np.isclose(f.hours - f.hours[a], step))
            if bs.size == 0:
                continue
            b = int(bs[0])
            x = torch.from_numpy(f.coarse[[a, b]][:, None]).to(device)
            xt = transform.forward(x)
            for mid in range(a + 1, b):
                t = float((f.hours[mid] - f.hours[a]) / step)
                with autocast(device):
                    y = model(xt[:1], xt[1:], torch.tensor([t], device=device)).float()
                truth = torch.from_numpy(f.coarse[mid][None, None]).to(device)
                losses.append(float(loss_fn(y, truth, transform, m)))
                crop = (slice(m, -m), slice(m, -m))
                preds.append(torch.clamp(transform.inverse(y), min=0)[0, 0].cpu().numpy()[crop].ravel())
                linear.append(((1 - t) * f.coarse[a] + t * f.coarse[b])[crop].ravel())
                truths.append(f.coarse[mid][crop].ravel())
    if not truths:
        raise DeepcamsError(f"temporal validation needs frames {step} h apart with frames between them")
    truth = np.concatenate(truths)
    out = {"val_loss": float(np.mean(losses))}
    for name, values in (("model", preds), ("linear", linear)):
        mae, rmse = _scores(np.concatenate(values), truth)
        out[f"{name}_mae"], out[f"{name}_rmse"] = mae, rmse
    return out


# --- the loop ------------------------------------------------------------------------------------------


@dataclass
class TrainConfig:
    stage: str  # "tsr" or "ssr"
    out: Path
    epochs: int = 20
    steps: int = 50  # optimiser steps per epoch
    batch: int = 16
    patch: int = 32  # coarse cells per patch side
    lr: float = 2e-3
    seed: int = 0
    device: str = "auto"
    architecture: str | None = None  # default: the stage's (DEFAULT_ARCHITECTURE)
    model_config: dict = field(default_factory=dict)
    transform_scale: float = 1.0
    resume: bool = False
    progress: bool = True
    description: dict = field(default_factory=dict)  # training data and split, for the metadata


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    tensors = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"optim.{index}.{key}"] = torch.as_tensor(value)
    return tensors


def _load_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def train(config: TrainConfig, train_fields: list[Field], val_fields: list[Field]) -> dict:
    """Train one stage; returns the final checkpoint's metadata. Resumes from `out/last.safetensors`."""
    out = Path(config.out)
    last, log_path, final = out / "last.safetensors", out / "log.csv", out / "model.safetensors"
    if last.exists() and not config.resume:
        raise DeepcamsError(f"{out} already holds a training run; pass --resume or choose another --out")
    if config.stage not in DEFAULT_ARCHITECTURE:
        raise DeepcamsError(f"unknown stage {config.stage!r}; choose tsr or ssr")
    if config.stage == "ssr" and any(f.fine is None for f in train_fields + val_fields):
        raise DeepcamsError("spatial training needs GEOS-CF-like fine data (CAMS files hold no truth)")
    device = resolve_device(config.device)
    architecture = config.architecture or DEFAULT_ARCHITECTURE[config.stage]
    if STAGES.get(architecture) != config.stage:
        raise DeepcamsError(f"architecture {architecture!r} is not a {config.stage} architecture")
    torch.manual_seed(config.seed)
    model = build_model(architecture, config.model_config).to(device)
    transform = AsinhTransform(config.transform_scale)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")
    start = 0
    if config.resume and last.exists():
        meta = read_metadata(last)
        if meta["architecture"] != architecture or meta["config"] != dict(model.config):
            raise DeepcamsError(f"{last} was trained with another architecture or hyperparameters")
        if meta.get("recipe") != _recipe(config, train_fields):
            raise DeepcamsError(
                f"{last} was trained with other data or settings (only --epochs may change on --resume); "
                "choose another --out"
            )
        model.load_state_dict({k: v.to(device) for k, v in read_tensors(last, "model.").items()})
        _load_optimizer(optimizer, read_tensors(last, "optim."))
        start = int(meta["epoch"])
    out.mkdir(parents=True, exist_ok=True)
    validate = validate_spatial if config.stage == "ssr" else validate_temporal
    sample = sample_spatial if config.stage == "ssr" else sample_temporal
    margin = 4 * (FACTOR if config.stage == "ssr" else 1)  # loss ignores the zero-padded patch edge
    total = config.epochs * config.steps
    scores: dict[str, float] = {}
    if start == 0:
        model.eval()
        scores = validate(model, transform, val_fields, device)
        _log(log_path, {"epoch": 0, "train_loss": float("nan"), **scores, "lr": 0.0, "seconds": 0.0})
    for epoch in range(start, config.epochs):
        # seeded per epoch, so a resumed run draws exactly the batches an uninterrupted one would
        rng = np.random.default_rng([config.seed, epoch])
        torch.manual_seed(config.seed * 100_003 + epoch)
        model.train()
        began, losses = time.perf_counter(), []
        bar = tqdm(
            range(config.steps),
            desc=f"{config.stage} epoch {epoch + 1}/{config.epochs}",
            disable=not config.progress,
            leave=False,
        )
        for k in bar:
            lr = config.lr * 0.5 * (1 + math.cos(math.pi * (epoch * config.steps + k) / total))
            for group in optimizer.param_groups:
                group["lr"] = lr
            batch = [t.to(device) for t in sample(train_fields, rng, config.batch, config.patch)]
            with autocast(device):
                if config.stage == "ssr":
                    pred = model(transform.forward(batch[0]))
                else:
                    pred = model(transform.forward(batch[0]), transform.forward(batch[1]), batch[2])
            loss = loss_fn(pred.float(), batch[-1], transform, margin)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
        model.eval()
        scores = validate(model, transform, val_fields, device)
        row = {
            "epoch": epoch + 1,
            "train_loss": float(np.mean(losses)),
            **scores,
            "lr": lr,
            "seconds": time.perf_counter() - began,
        }
        _log(log_path, row)
        if config.progress:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch")
            tqdm.write(f"{config.stage} epoch {epoch + 1}: {shown}")
        state = {"epoch": epoch + 1, "recipe": _recipe(config, train_fields)}
        save_checkpoint(last, model, architecture, transform, state, _optimizer_tensors(optimizer))
    metadata = {
        "grids": {"input": "CAMS EAC4 0.75 deg (241 x 480)", "output": "GEOS-CF 0.25 deg (721 x 1440)"},
        "training": {
            **config.description,
            "epochs": config.epochs,
            "steps_per_epoch": config.steps,
            "batch": config.batch,
            "patch": config.patch,
            "lr": config.lr,
            "seed": config.seed,
            "sources": sorted({f.name for f in train_fields}),
        },
        "validation": {"sources": sorted({f.name for f in val_fields}), "scores": scores},
    }
    save_checkpoint(final, model.cpu(), architecture, transform, metadata)
    return read_metadata(final)


def _recipe(config: TrainConfig, train_fields: list[Field]) -> dict:
    """What a resumed run must share with the interrupted one: everything but the number of epochs."""
    return {
        "steps": config.steps,
        "batch": config.batch,
        "patch": config.patch,
        "lr": config.lr,
        "seed": config.seed,
        "transform_scale": config.transform_scale,
        "sources": [[f.name, list(f.coarse.shape), round(f.weight * f.coarse.size, 6)] for f in train_fields],
    }


def _log(path: Path, row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def describe_split(train_bands, val_band) -> dict:
    fmt = lambda band: f"lon [{band[0]:g}, {band[1]:g})"  # noqa: E731
    return {
        "split": "by longitude band (never by pixel): train on "
        + " and ".join(fmt(b) for b in train_bands)
        + f", validate on {fmt(val_band)}",
        "train_bands": [list(b) for b in train_bands],
        "val_band": list(val_band),
    }


__all__ = [
    "TRAIN_BANDS",
    "VAL_BAND",
    "TrainConfig",
    "band_fields",
    "coarse_band_fields",
    "mix_by_share",
    "train",
]
