"""Downscaling methods: interpolation baselines and the registry that also holds the learned models."""

from deepcams.methods.registry import (
    BASELINES,
    Method,
    available_methods,
    get_method,
    register_method,
)

__all__ = ["BASELINES", "Method", "available_methods", "get_method", "register_method"]
