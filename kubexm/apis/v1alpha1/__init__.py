"""Config models of ``kubexm.io/v1alpha1``, one module per section of the document."""

from .cluster import ApiEndpoint, Cluster, ClusterSpec, ObjectMeta, SSHCredentials
from .hosts import GlobalSpec, Host, RoleGroups, Taint

__all__ = [
    "ApiEndpoint",
    "Cluster",
    "ClusterSpec",
    "GlobalSpec",
    "Host",
    "ObjectMeta",
    "RoleGroups",
    "SSHCredentials",
    "Taint",
]
