"""pydantic models of the cluster config (``kubexm.io/v1alpha1``, kind ``Cluster``)."""

from .v1alpha1 import Cluster

__all__ = ["Cluster"]
