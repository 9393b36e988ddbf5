"""Downscaling methods: interpolation baselines and the registry that also names the learned models."""

from deepcams.methods.registry import (
    BASELINES,
    DEFAULT_METHOD,
    ENSEMBLE_METHOD,
    MassTally,
    Method,
    MethodSpec,
    available_methods,
    get_method,
    method_spec,
    register_method,
)

__all__ = [
    "BASELINES",
    "DEFAULT_METHOD",
    "ENSEMBLE_METHOD",
    "MassTally",
    "Method",
    "MethodSpec",
    "available_methods",
    "get_method",
    "method_spec",
    "register_method",
]
