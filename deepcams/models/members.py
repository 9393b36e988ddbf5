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

import torch
from torch.func import functional_call, stack_module_state, vmap

from deepcams.errors import DeepcamsError
from deepcams.models.inference import DeepSpatial, DeepTemporal, _load, autocast


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
    """The members' networks stacked, their shared transform and member 0's metadata, all the sha256s."""
    loaded = [_load(str(path), stage, str(device)) for path in paths]
    if len({transform for _, transform, _, _ in loaded}) != 1:
        raise DeepcamsError(f"batched {stage} members must share one value transform")
    stacked = StackedNetworks([model for model, *_ in loaded])
    return stacked, loaded[0][1], loaded[0][2], " ".join(sha for *_, sha in loaded)


class _Members:
    """What both batched stages change in their one-network stage: N weights loaded as one stack."""

    stage: str

    def _weights(self, paths: list[Path], device: torch.device):
        return _stack(paths, self.stage, device)

    @property
    def members(self) -> int:
        return self.model.size


class BatchedTemporal(_Members, DeepTemporal):
    """The T-SR of N members (`paths`, one each): `interpolate` gives (hours, N, h, w), every member from
    the same frames."""

    stage = "tsr"

    def _corrections(self, *inputs: torch.Tensor) -> torch.Tensor:
        with autocast(self.device):
            y = self.model.shared(*inputs)  # (N, jobs, 1, H, W)
        return y[:, :, 0].movedim(0, 1)


class BatchedSpatial(_Members, DeepSpatial):
    """The S-SR of N members (`paths`, one each): `upsample` of (..., N, h, w) gives (..., N, 3h, 3w),
    member m from its own frames; conservation and the fall-back near missing cells apply to each
    member's frames."""

    stage = "ssr"

    def _network(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model.own(*inputs)
