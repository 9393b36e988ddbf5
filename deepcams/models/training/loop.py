"""The training loop of one stage: AdamW, cosine learning rate, gradient clipping, in the simulation
protocol.

Every epoch writes a resumable checkpoint (`resume`) and a CSV row (`log`) with validation scores of the
model AND of the baseline (bicubic in space, linear in time) on the same validation data (`validation`).
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from deepcams.errors import DeepcamsError
from deepcams.grids import FACTOR
from deepcams.models.checkpoint import read_metadata, save_checkpoint
from deepcams.models.inference import autocast, resolve_device
from deepcams.models.registry import DEFAULT_ARCHITECTURE, STAGES, build_model
from deepcams.models.training.data import Field
from deepcams.models.training.log import append_row
from deepcams.models.training.loss import loss_fn
from deepcams.models.training.resume import fingerprint, load_state, save_state
from deepcams.models.training.sampling import SAMPLERS, covariate_inputs
from deepcams.models.training.validation import VALIDATORS
from deepcams.models.transform import AsinhTransform
from deepcams.recipes import DEFAULTS, SEED

WEIGHT_DECAY = 1e-4
CLIP_NORM = 1.0  # gradient clipping


@dataclass
class TrainConfig:
    stage: str  # "tsr" or "ssr"
    out: Path
    epochs: int = DEFAULTS.epochs
    steps: int = DEFAULTS.steps  # optimiser steps per epoch
    batch: int = DEFAULTS.batch
    patch: int = DEFAULTS.patch  # coarse cells per patch side
    lr: float = DEFAULTS.lr
    rmse_weight: float = DEFAULTS.rmse_weight
    seed: int = SEED
    device: str = "auto"
    architecture: str | None = None  # default: the stage's (DEFAULT_ARCHITECTURE)
    model_config: dict = field(default_factory=dict)
    transform_scale: float = 1.0
    resume: bool = False
    progress: bool = True
    description: dict = field(default_factory=dict)  # training data and split, for the metadata
    export: Path | None = None  # also copy the final weights (and their .json) here


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
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=WEIGHT_DECAY)
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")
    settings = fingerprint(config, train_fields)
    start = 0
    if config.resume and last.exists():
        start = load_state(last, model, architecture, optimizer, settings, device)
    out.mkdir(parents=True, exist_ok=True)
    validate, sample = VALIDATORS[config.stage], SAMPLERS[config.stage]
    margin = 4 * (FACTOR if config.stage == "ssr" else 1)  # loss ignores the zero-padded patch edge
    total = config.epochs * config.steps
    scores: dict[str, float] = {}
    if start == 0:
        model.eval()
        scores = validate(model, transform, val_fields, device)
        append_row(log_path, {"epoch": 0, "train_loss": float("nan"), **scores, "lr": 0.0, "seconds": 0.0})
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
                    pred = model(transform.forward(batch[0]), *covariate_inputs(model, batch[1]))
                else:
                    frames, base, t, solar, _ = batch
                    pred = model(transform.forward(frames), transform.forward(base), t, solar)
            loss = loss_fn(pred.float(), batch[-1], transform, margin, config.rmse_weight)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
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
        append_row(log_path, row)
        if config.progress:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch")
            tqdm.write(f"{config.stage} epoch {epoch + 1}: {shown}")
        save_state(last, model, architecture, transform, optimizer, epoch + 1, settings)
    metadata = {
        "grids": {"input": "CAMS EAC4 0.75 deg (241 x 480)", "output": "GEOS-CF 0.25 deg (721 x 1440)"},
        "training": {
            **config.description,
            "epochs": config.epochs,
            "steps_per_epoch": config.steps,
            "batch": config.batch,
            "patch": config.patch,
            "lr": config.lr,
            **({"rmse_weight": config.rmse_weight} if config.rmse_weight else {}),
            "seed": config.seed,
            "sources": sorted({f.name for f in train_fields}),
        },
        "validation": {"sources": sorted({f.name for f in val_fields}), "scores": scores},
    }
    save_checkpoint(final, model.cpu(), architecture, transform, metadata)
    if config.export is not None:
        export = Path(config.export)
        export.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(final, export)
        shutil.copyfile(final.with_suffix(".json"), export.with_suffix(".json"))
    return read_metadata(final)
