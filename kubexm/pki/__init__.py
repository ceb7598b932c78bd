"""Certificates for a cluster, generated on the machine running kubexm.

``ensure_pki(plan, pki_dir)`` creates or updates the CAs (``ca``, ``etcd/ca``,
``front-proxy-ca``), the service-account key pair, kubeadm's leaf certificates and the
kubeconfigs, keeping everything that is still right. ``inventory(pki_dir)`` lists what exists
with its expiry. The layout mirrors kubeadm's ``/etc/kubernetes/pki``; see ``table`` and
``kubeconfig`` for the per-host and per-consumer names.
"""

from kubexm.pki.generate import PKIPaths, PKIReport, ReportEntry, default_paths, ensure_pki
from kubexm.pki.inventory import CertInfo, inventory, inventory_dicts, render_table
from kubexm.pki.kubeconfig import host_path
from kubexm.pki.model import KeyType, Member, PKIPlan
from kubexm.pki.table import host_stem

__all__ = [
    "CertInfo",
    "KeyType",
    "Member",
    "PKIPaths",
    "PKIPlan",
    "PKIReport",
    "ReportEntry",
    "default_paths",
    "ensure_pki",
    "host_path",
    "host_stem",
    "inventory",
    "inventory_dicts",
    "render_table",
]
