"""Each epoch's validation: the model and the baseline scored on the same whole validation bands.

The networks run without the pipeline, so the band edges (the receptive field's width) are left out:
inside the pipeline a halo gives those cells their context (`evaluation` scores it that way).
"""

from __future__ import annotations

import numpy as np
import torch

from deepcams.errors import DeepcamsError
from deepcams.grids import FACTOR
from deepcams.methods.spatial import upsample as interpolate_spatial
from deepcams.metrics import scores
from deepcams.models.inference import autocast, conserve_multiplicative
from deepcams.models.training.data import Field
from deepcams.models.training.loss import loss_fn
from deepcams.models.training.sampling import covariate_inputs, intervals, temporal_example

TEMPORAL_MARGIN = 4  # CAMS cells left out at the band edges in temporal validation


def _mae_rmse(name: str, values: list[np.ndarray], truth: np.ndarray) -> dict[str, float]:
    skill = scores(np.concatenate(values), truth)
    return {f"{name}_mae": skill["mae"], f"{name}_rmse": skill["rmse"]}


@torch.inference_mode()
def validate_spatial(model, transform, fields: list[Field], device) -> dict[str, float]:
    """Model (raw and mass-conserving) vs bicubic on whole validation bands."""
    m = model.radius
    preds, conserved, bicubic, truths, losses = [], [], [], [], []
    for f in fields:
        x = torch.from_numpy(f.coarse[:, None]).to(device)
        surface = torch.from_numpy(f.covariates)[None].expand(x.shape[0], -1, -1, -1).to(device)
        with autocast(device):
            y = model(transform.forward(x), *covariate_inputs(model, surface)).float()
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
        out |= _mae_rmse(name, values, truth)
    return out


@torch.inference_mode()
def validate_temporal(model, transform, fields: list[Field], device) -> dict[str, float]:
    """Model vs linear and cubic interpolation at every hour between frames 3 hours apart."""
    m = TEMPORAL_MARGIN
    crop = (slice(m, -m), slice(m, -m))
    preds, linear, cubic, truths, losses = [], [], [], [], []
    whole = (slice(None), slice(None))
    for f in fields:
        for taps, target in intervals(f.hours):
            frames, base, t, solar, truth = temporal_example(f, taps, target, *whole)
            inputs = [torch.from_numpy(a)[None].to(device) for a in (frames, base[None], solar)]
            with autocast(device):
                y = model(
                    transform.forward(inputs[0]),
                    transform.forward(inputs[1]),
                    torch.tensor([t], device=device),
                    inputs[2],
                ).float()
            losses.append(float(loss_fn(y, torch.from_numpy(truth)[None, None].to(device), transform, m)))
            preds.append(torch.clamp(transform.inverse(y), min=0)[0, 0].cpu().numpy()[crop].ravel())
            linear.append(((1 - t) * frames[1] + t * frames[2])[crop].ravel())
            cubic.append(base[crop].ravel())
            truths.append(truth[crop].ravel())
    if not truths:
        raise DeepcamsError("temporal validation needs hourly sequences: frames 3 h apart with hours between")
    truth = np.concatenate(truths)
    out = {"val_loss": float(np.mean(losses))}
    for name, values in (("model", preds), ("linear", linear), ("cubic", cubic)):
        out |= _mae_rmse(name, values, truth)
    return out


VALIDATORS = {"ssr": validate_spatial, "tsr": validate_temporal}
