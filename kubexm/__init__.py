"""kubexm: deploy and operate Kubernetes clusters on plain Linux hosts over SSH."""

__version__ = "0.1.0"
