"""An ensemble's members as one batched network call: both stages of N members at once.

On a GPU, five small networks run one after another leave the device idle between their many short
kernels; `torch.func.vmap` over their stacked weights runs the N members of a stage as one call on the
same inputs (T-SR) or on each member's own inputs (S-SR). The members must share an architecture, its
hyperparameters and the value transform. The stage classes keep everything else of the one-network
stages (tiling, reach, missing values, conservation): a member's output equals its own run to float
rounding (a test compares them on the CPU, where the ensemble otherwise runs member by member).

Layout: the member axis follows the time axis, (time, member, lat, lon); `DeepSpatial.upsample` flattens
it member-minor, so frame j of member m is flat frame j * N + m.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from torch.func import functional_call, stack_module_state, vmap

from deepcams.errors import DeepcamsError
from deepcams.models.inference import BATCH_CELLS, DeepSpatial, DeepTemporal, _load, _nhwc, autocast


class StackedNetworks:
    """N networks of one architecture called as one: `shared(*inputs)` runs every member on the same
    inputs, `own(*inputs)` member m on the frames m, N + m, 2N + m, ... of each input."""

    def __init__(self, models: list[torch.nn.Module]):
        shapes = [{k: v.shape for k, v in m.state_dict().items()} for m in models]
        if any(type(m) is not type(models[0]) or s != shapes[0] for m, s in zip(models, shapes, strict=True)):
            raise DeepcamsError("batched ensemble members must share one architecture and its size")
        self.size = len(models)
        self.params, self.buffers = stack_module_state(models)
        self.template = copy.deepcopy(models[0]).to("meta")  # the structure; the weights come per call
        self.radius = models[0].radius
        self.covariates = tuple(getattr(models[0], "covariates", ()))

    def _call(self, params, buffers, *inputs):
        return functional_call(self.template, (params, buffers), inputs)

    def shared(self, *inputs: torch.Tensor) -> torch.Tensor:
        """(N, batch, ...) from inputs of (batch, ...)."""
        dims = (0, 0) + (None,) * len(inputs)
        return vmap(self._call, in_dims=dims)(self.params, self.buffers, *inputs)

    def own(self, *inputs: torch.Tensor) -> torch.Tensor:
        """(k * N, ...) member-minor from inputs of (k * N, ...) member-minor."""
        split = [a.reshape(-1, self.size, *a.shape[1:]).movedim(1, 0) for a in inputs]
        out = vmap(self._call)(self.params, self.buffers, *split)
        return out.movedim(0, 1).reshape(-1, *out.shape[2:])


def _stack(paths: list[Path], stage: str, device: torch.device):
    loaded = [_load(str(path), stage, str(device)) for path in paths]
    transforms = {transform for _, transform, _, _ in loaded}
    if len(transforms) != 1:
        raise DeepcamsError(f"batched {stage} members must share one value transform")
    return StackedNetworks([model for model, *_ in loaded]), loaded[0][1], loaded[0][2], loaded


class BatchedTemporal(DeepTemporal):
    """The T-SR of N members: `interpolate` gives (hours, N, h, w), every member from the same frames."""

    def __init__(self, paths: list[Path], device: torch.device, batch: int):
        self.model, self.transform, self.meta, loaded = _stack(paths, "tsr", device)
        self.members = self.model.size
        self.sha256 = " ".join(sha for *_, sha in loaded)
        self.device = device
        self.batch = int(batch)
        self.name = f"deepcams-{self.meta['architecture']}"
        self.radius = self.model.radius

    def _corrections(self, *inputs: torch.Tensor) -> torch.Tensor:
        with autocast(self.device):
            y = self.model.shared(*inputs)  # (N, jobs, 1, H, W)
        return y[:, :, 0].movedim(0, 1)


class BatchedSpatial(DeepSpatial):
    """The S-SR of N members: `upsample` of (..., N, h, w) gives (..., N, 3h, 3w), member m from its own
    frames; conservation and the fall-back near missing cells apply to each member's frames."""

    def __init__(self, paths: list[Path], device: torch.device, conserve: bool, tile: int):
        self.model, self.transform, self.meta, loaded = _stack(paths, "ssr", device)
        self.members = self.model.size
        self.sha256 = " ".join(sha for *_, sha in loaded)
        self.device = device
        self.conserve = conserve
        self.tile = int(tile)
        if self.tile < 8:
            raise DeepcamsError(f"tile must be at least 8 coarse cells, got {tile}")
        self.name = f"deepcams-{self.meta['architecture']}"
        self.halo = self.model.radius
        self.covariates = self.model.covariates

    @torch.inference_mode()
    def _run(self, coarse, surface):
        # whole groups of N frames a call (the members of one hour), as many as the one-network stage takes
        group = self.members
        frames = group * max(1, BATCH_CELLS // (group * coarse.shape[-2] * coarse.shape[-1]))
        extra = None if surface is None else torch.tensor(surface)[None].to(self.device)
        out = []
        for k in range(0, coarse.shape[0], frames):
            chunk = torch.from_numpy(coarse[k : k + frames].astype("float32")).to(self.device)[:, None]
            x = _nhwc(self.transform.forward(chunk))
            inputs = (x,) if extra is None else (x, extra.expand(x.shape[0], -1, -1, -1))
            with autocast(self.device):
                y = self.model.own(*inputs)
            out.append(torch.clamp(self.transform.inverse(y.float()), min=0.0)[:, 0].cpu().numpy())
        return np.concatenate(out)
