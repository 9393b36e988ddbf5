"""Random training batches: spatial patches and temporal intervals, NaN-free, flipped (and turned) at random."""

from __future__ import annotations

import numpy as np
import torch

from deepcams.covariates import COVARIATES
from deepcams.errors import DeepcamsError
from deepcams.grids import FACTOR
from deepcams.methods.temporal import keys_cubic
from deepcams.models.inference import solar_time_features
from deepcams.models.training.data import Field

STEP_HOURS = 3  # the temporal stage learns CAMS's 3-hourly step


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
    """A batch of coarse patches (B, 1, p, p), their fine pixels' covariates (B, len(COVARIATES), 3p, 3p)
    and their truth (B, 1, 3p, 3p), free of NaN; all three flipped and turned alike."""
    xs, covs, ys = [], [], []
    for _ in range(100 * batch):
        field_, r, c = _pick(fields, rng, patch)
        k = int(rng.integers(field_.coarse.shape[0]))
        x = field_.coarse[k, r : r + patch, c : c + patch]
        fine = (slice(FACTOR * r, FACTOR * (r + patch)), slice(FACTOR * c, FACTOR * (c + patch)))
        y = field_.fine[k][fine]
        if np.isnan(x).any() or np.isnan(y).any():
            continue
        surface = (
            field_.covariates if field_.covariates is not None else np.zeros((0, *field_.fine.shape[-2:]))
        )
        x, cov, y = _augment([x, surface[(slice(None), *fine)].astype("float32"), y], rng, rotate=True)
        xs.append(x)
        covs.append(cov)
        ys.append(y)
        if len(xs) == batch:
            stack = lambda a: torch.from_numpy(np.stack(a))  # noqa: E731
            return stack(xs)[:, None], stack(covs), stack(ys)[:, None]
    raise DeepcamsError("could not find NaN-free training patches; check the training bands")


def covariate_inputs(model, surface: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The channels of `surface` (all of COVARIATES) that `model` takes: none for a network without."""
    names = getattr(model, "covariates", ())
    return (surface[:, [COVARIATES.index(name) for name in names]],) if names else ()


def intervals(hours: np.ndarray, step: float = STEP_HOURS) -> list[tuple[tuple[int, int, int, int], int]]:
    """(taps, target) pairs of a frame sequence: `taps` are the frames at -1, 0, 1, 2 input steps of an
    interval `step` hours long (an outer one is None where the sequence has no frame there: it is then
    extrapolated linearly, as inference does), `target` a frame strictly inside the interval."""
    index = {round(float(h), 6): k for k, h in enumerate(hours)}
    out = []
    for a, start in enumerate(hours):
        b = index.get(round(float(start + step), 6))
        if b is None:
            continue
        before = index.get(round(float(start - step), 6))
        after = index.get(round(float(start + 2 * step), 6))
        out += [((before, a, b, after), m) for m in range(len(hours)) if start < hours[m] < start + step]
    return out


def temporal_example(field_: Field, taps, target: int, rows: slice, cols: slice, step: float = STEP_HOURS):
    """Four frames, the cubic base, t, the solar-time maps and the truth of one target frame (numpy)."""
    t = float((field_.hours[target] - field_.hours[taps[1]]) / step)
    before, a, b, after = taps
    first, last = field_.coarse[a, rows, cols], field_.coarse[b, rows, cols]
    outer = (
        field_.coarse[before, rows, cols] if before is not None else 2 * first - last,
        field_.coarse[after, rows, cols] if after is not None else 2 * last - first,
    )
    frames = np.stack([outer[0], first, last, outer[1]])
    base = np.maximum(keys_cubic(frames, np.array([1.0 + t])), 0.0)[0]
    utc = field_.utc0 + float(field_.hours[target])
    solar = solar_time_features(utc, field_.lon[cols], frames.shape[-2])
    return frames, base.astype("float32"), t, solar, field_.coarse[target, rows, cols]


SOLAR_DROPOUT = 0.25  # share of temporal examples without the time of day: inference may lack it


def sample_temporal(fields: list[Field], rng: np.random.Generator, batch: int, patch: int):
    """Batches (frames, cubic base, t, solar time, truth at t) of CAMS-grid patches, flipped at random
    (never turned or time-reversed: the daily cycle runs one way, along longitude). A share of the
    examples (SOLAR_DROPOUT) comes without the time of day (zeros), as inference without times has it."""
    usable = [f for f in fields if intervals(f.hours)]
    if not usable:
        raise DeepcamsError(
            f"temporal training needs hourly sequences: frames {STEP_HOURS} h apart with hours between"
        )
    examples = []
    for _ in range(100 * batch):
        field_, r, c = _pick(usable, rng, patch)
        pairs = intervals(field_.hours)
        taps, target = pairs[int(rng.integers(len(pairs)))]
        frames, base, t, solar, truth = temporal_example(
            field_, taps, target, slice(r, r + patch), slice(c, c + patch)
        )
        if np.isnan(frames).any() or np.isnan(truth).any():
            continue
        frames, base, solar, truth = _augment([frames, base, solar, truth], rng, rotate=False)
        if rng.random() < SOLAR_DROPOUT:
            solar = np.zeros_like(solar)
        examples.append((frames, base[None], t, solar, truth[None]))
        if len(examples) == batch:
            frames, base, t, solar, truth = zip(*examples, strict=True)
            stack = lambda a: torch.from_numpy(np.stack(a))  # noqa: E731
            return (
                stack(frames),
                stack(base),
                torch.tensor(t, dtype=torch.float32),
                stack(solar),
                stack(truth),
            )
    raise DeepcamsError("could not find NaN-free training patches; check the training bands")


SAMPLERS = {"ssr": sample_spatial, "tsr": sample_temporal}
