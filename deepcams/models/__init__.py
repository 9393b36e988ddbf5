"""The learned DeepCAMS models: architectures, value transform, checkpoints, inference and training.

Importing this package registers the method `deepcams` with `deepcams.methods`.
"""

from deepcams.methods.registry import register_method
from deepcams.models.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from deepcams.models.inference import deepcams_method, default_weights
from deepcams.models.registry import ARCHITECTURES, build_model
from deepcams.models.transform import AsinhTransform

register_method("deepcams", deepcams_method)

__all__ = [
    "ARCHITECTURES",
    "AsinhTransform",
    "build_model",
    "deepcams_method",
    "default_weights",
    "load_checkpoint",
    "read_metadata",
    "save_checkpoint",
]
