"""Downscaling methods: interpolation baselines and the registry that also holds the learned models."""

from deepcams.methods.registry import (
    BASELINES,
    DEFAULT_METHOD,
    Method,
    available_methods,
    get_method,
    register_method,
)

__all__ = ["BASELINES", "DEFAULT_METHOD", "Method", "available_methods", "get_method", "register_method"]
