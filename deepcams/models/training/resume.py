"""Resumable runs: each epoch's checkpoint holds the optimiser state and what the run was trained with,
so a resumed run continues exactly, and a resume with other data or settings is refused."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from deepcams.errors import DeepcamsError
from deepcams.models.checkpoint import read_metadata, read_tensors, save_checkpoint
from deepcams.models.training.data import Field
from deepcams.models.transform import AsinhTransform


def fingerprint(config, train_fields: list[Field]) -> dict:
    """What a resumed run must share with the interrupted one: everything but the number of epochs."""
    # only when set: runs from before the option resume as they were
    loss = {"rmse_weight": config.rmse_weight} if config.rmse_weight else {}
    return {
        **loss,
        "steps": config.steps,
        "batch": config.batch,
        "patch": config.patch,
        "lr": config.lr,
        "seed": config.seed,
        "transform_scale": config.transform_scale,
        "sources": [[f.name, list(f.coarse.shape), round(f.weight * f.coarse.size, 6)] for f in train_fields],
    }


def save_state(
    path: Path,
    model: nn.Module,
    architecture: str,
    transform: AsinhTransform,
    optimizer: torch.optim.Optimizer,
    epoch: int,
    settings: dict,
) -> None:
    """The checkpoint after `epoch` epochs, with the optimiser state and the run's `fingerprint`."""
    tensors = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"optim.{index}.{key}"] = torch.as_tensor(value)
    save_checkpoint(path, model, architecture, transform, {"epoch": epoch, "recipe": settings}, tensors)


def load_state(
    path: Path,
    model: nn.Module,
    architecture: str,
    optimizer: torch.optim.Optimizer,
    settings: dict,
    device: torch.device,
) -> int:
    """Load model and optimiser state from a checkpoint of the same run; returns the epochs done."""
    meta = read_metadata(path)
    if meta["architecture"] != architecture or meta["config"] != dict(model.config):
        raise DeepcamsError(f"{path} was trained with another architecture or hyperparameters")
    if meta.get("recipe") != settings:
        raise DeepcamsError(
            f"{path} was trained with other data or settings (only --epochs may change on --resume); "
            "choose another --out"
        )
    model.load_state_dict({k: v.to(device) for k, v in read_tensors(path, "model.").items()})
    state: dict[int, dict] = {}
    for name, value in read_tensors(path, "optim.").items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})
    return int(meta["epoch"])
