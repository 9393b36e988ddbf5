"""The training loss, the same for both stages."""

from __future__ import annotations

import torch

from deepcams.models.transform import AsinhTransform


def loss_fn(
    pred_t: torch.Tensor,
    truth: torch.Tensor,
    transform: AsinhTransform,
    margin: int,
    rmse_weight: float = 0.0,
) -> torch.Tensor:
    """L1 in the transformed space (all magnitudes) plus L1 in ug m-3 relative to the batch mean
    (what MAE and RMSE weigh: the high values), on the patch interior; `rmse_weight` adds that much of
    the RMSE relative to the batch mean, which weighs the highest values (fire pixels) more still (tried
    for both stages and not shipped: docs/model-card.md)."""
    if margin:
        pred_t = pred_t[..., margin:-margin, margin:-margin]
        truth = truth[..., margin:-margin, margin:-margin]
    truth_t = transform.forward(truth)
    pred = transform.inverse(pred_t)
    scale = truth.abs().mean() + 1e-3
    loss = (pred_t - truth_t).abs().mean() + (pred - truth).abs().mean() / scale
    if rmse_weight:
        loss = loss + rmse_weight * (pred - truth).square().mean().sqrt() / scale
    return loss
