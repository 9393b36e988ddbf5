"""The learned DeepCAMS models: architectures, value transform, checkpoints, inference and training.

`deepcams.methods` names the method `deepcams` and imports `deepcams.models.inference` only when it is built.
"""

from deepcams.models.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from deepcams.models.inference import deepcams_method, default_weights, member_weights
from deepcams.models.registry import ARCHITECTURES, build_model
from deepcams.models.transform import AsinhTransform

__all__ = [
    "ARCHITECTURES",
    "AsinhTransform",
    "build_model",
    "deepcams_method",
    "default_weights",
    "load_checkpoint",
    "member_weights",
    "read_metadata",
    "save_checkpoint",
]
