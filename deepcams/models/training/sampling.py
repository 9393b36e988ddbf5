"""Random training batches: spatial patches and temporal triplets, NaN-free, flipped and turned at random."""

from __future__ import annotations

import numpy as np
import torch

from deepcams.errors import DeepcamsError
from deepcams.grids import FACTOR
from deepcams.models.training.data import Field

MAX_GAP_HOURS = 6  # temporal training triplets span at most this many hours


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


SAMPLERS = {"ssr": sample_spatial, "tsr": sample_temporal}
