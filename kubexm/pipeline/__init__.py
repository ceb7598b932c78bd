"""Pipelines: end-to-end flows, each one user intent."""

from kubexm.pipeline.base import PIPELINES, Pipeline, register_pipeline

__all__ = ["PIPELINES", "Pipeline", "register_pipeline"]
