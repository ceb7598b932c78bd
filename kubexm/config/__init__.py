"""Load, default and validate the cluster config (all problems at once, each with its path)."""

from .loader import LoadedConfig, load, load_text, validate_data

__all__ = ["LoadedConfig", "load", "load_text", "validate_data"]
