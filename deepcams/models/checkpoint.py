"""Checkpoints: safetensors tensors plus JSON metadata that carries everything needed to rebuild the model.

The metadata (architecture name and hyperparameters, value transform, grids, training data, split,
validation scores, package version) lives in the safetensors header, so one file is self-describing, and
is also written next to it as `<name>.json` for people to read. Loading never unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from deepcams._version import __version__
from deepcams.errors import DeepcamsError
from deepcams.models.registry import STAGES, build_model
from deepcams.models.transform import AsinhTransform

FORMAT = "deepcams-checkpoint-1"
# what `load_checkpoint` needs from the metadata to rebuild a model
REQUIRED = ("architecture", "stage", "config", "transform")


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    architecture: str,
    transform: AsinhTransform,
    metadata: dict[str, Any] | None = None,
    extra: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write the model's weights (and `extra` tensors, e.g. optimiser state) atomically with metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": FORMAT,
        "architecture": architecture,
        "stage": STAGES[architecture],
        "config": dict(model.config),
        "transform": transform.to_dict(),
        "deepcams_version": __version__,
        "parameters": sum(p.numel() for p in model.parameters()),
        **(metadata or {}),
    }
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors.update({k: v.detach().cpu().contiguous() for k, v in (extra or {}).items()})
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata={"deepcams": json.dumps(meta)})
    os.replace(tmp, path)
    if extra is None:
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON metadata of a checkpoint; a file that is not one is a DeepcamsError."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get("deepcams")
    except (SafetensorError, OSError, ValueError) as exc:
        raise DeepcamsError(f"{path} is not a readable safetensors checkpoint ({exc})") from None
    if raw is None:
        raise DeepcamsError(f"{path} is a safetensors file without deepcams metadata")
    try:
        meta = json.loads(raw)
    except ValueError:
        raise DeepcamsError(f"{path}: its deepcams metadata is not JSON") from None
    if not isinstance(meta, dict):
        raise DeepcamsError(f"{path}: its deepcams metadata is a {type(meta).__name__}, not a mapping")
    if meta.get("format") != FORMAT:
        raise DeepcamsError(f"{path} has unknown checkpoint format {meta.get('format')!r}")
    missing = [key for key in REQUIRED if key not in meta]
    if missing:
        raise DeepcamsError(f"{path}: its deepcams metadata lacks {', '.join(missing)}")
    return meta


def read_tensors(path: str | os.PathLike, prefix: str = "") -> dict[str, torch.Tensor]:
    with safe_open(str(path), framework="pt") as handle:
        return {k[len(prefix) :]: handle.get_tensor(k) for k in handle.keys() if k.startswith(prefix)}


def load_checkpoint(
    path: str | os.PathLike, architecture: str | None = None, stage: str | None = None
) -> tuple[nn.Module, AsinhTransform, dict[str, Any]]:
    """Rebuild the model a checkpoint describes and load its weights (on the CPU, in eval mode).

    `architecture` or `stage` ('tsr' / 'ssr'), when given, must match the checkpoint's, or a
    DeepcamsError says what was found instead.
    """
    meta = read_metadata(path)
    found = meta.get("architecture")
    if architecture is not None and found != architecture:
        raise DeepcamsError(f"{path} holds architecture {found!r}, expected {architecture!r}")
    if stage is not None and meta.get("stage") != stage:
        raise DeepcamsError(
            f"{path} holds a {meta.get('stage')!r} model ({found}), expected a {stage!r} model"
        )
    transform = _transform(meta["transform"], path)
    try:
        model = build_model(found, meta["config"])
    except DeepcamsError as exc:
        raise DeepcamsError(f"{path}: {exc}") from None
    state = read_tensors(path, "model.")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise DeepcamsError(f"{path}: weights do not fit architecture {found!r} ({first})") from None
    model.eval()
    return model, transform, meta


def _transform(spec, path) -> AsinhTransform:
    """The checkpoint's value transform; a scale that is not a positive number is a DeepcamsError."""
    try:
        transform = AsinhTransform.from_dict(spec)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, DeepcamsError):
            raise
        raise DeepcamsError(f"{path}: bad value transform {spec!r} in its metadata") from None
    if not (math.isfinite(transform.scale) and transform.scale > 0):
        raise DeepcamsError(f"{path}: value transform scale must be a positive number, got {transform.scale}")
    return transform


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
