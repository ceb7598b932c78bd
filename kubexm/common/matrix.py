"""The support matrix: which Kubernetes × etcd × load balancer combinations kubexm deploys.

Rows 9.3–9.23 are the 21 required combinations of the product requirements (three type pairs
× seven load-balancer settings). Rows ``E.*`` extend them to an external etcd and rows ``U.*``
to a user-provided load balancer (``externalLoadBalancer: external``). Anything not in the
table is unsupported, for example ``kubernetes.type: kubexm`` with ``etcd.type: kubeadm``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubexm.common import types as t

# (kubernetes type, etcd type) pairs in the column order of the requirements table.
PAIR_KUBEADM_KUBEADM = (t.KUBERNETES_KUBEADM, t.ETCD_KUBEADM)
PAIR_KUBEXM_KUBEXM = (t.KUBERNETES_KUBEXM, t.ETCD_KUBEXM)
PAIR_KUBEADM_KUBEXM = (t.KUBERNETES_KUBEADM, t.ETCD_KUBEXM)
PAIRS = (PAIR_KUBEADM_KUBEADM, PAIR_KUBEXM_KUBEXM, PAIR_KUBEADM_KUBEXM)


@dataclass(frozen=True)
class MatrixRow:
    """One supported combination. ``multi_master`` is False for exactly one master."""

    row_id: str
    kubernetes: str
    etcd: str
    lb: str
    multi_master: bool


# (lb kind, several masters) -> row ids for PAIRS, in PAIRS order.
_REQUIRED: dict[tuple[str, bool], tuple[str, str, str]] = {
    (t.LB_NONE, False): ("9.3", "9.4", "9.5"),
    (t.LB_NONE, True): ("9.6", "9.7", "9.8"),
    (t.LB_HAPROXY, True): ("9.9", "9.11", "9.10"),
    (t.LB_NGINX, True): ("9.12", "9.14", "9.13"),
    (t.LB_KUBE_VIP, True): ("9.15", "9.17", "9.16"),
    (t.LB_KUBEXM_KH, True): ("9.18", "9.22", "9.20"),
    (t.LB_KUBEXM_KN, True): ("9.19", "9.23", "9.21"),
}

_MULTI_MASTER_LBS = (
    t.LB_NONE,
    t.LB_HAPROXY,
    t.LB_NGINX,
    t.LB_KUBE_VIP,
    t.LB_KUBEXM_KH,
    t.LB_KUBEXM_KN,
    t.LB_EXTERNAL,
)


def _required_rows() -> list[MatrixRow]:
    rows: list[MatrixRow] = []
    for (lb, multi), ids in _REQUIRED.items():
        for (k8s, etcd), row_id in zip(PAIRS, ids, strict=True):
            rows.append(MatrixRow(row_id, k8s, etcd, lb, multi))
    return rows


def _external_etcd_rows() -> list[MatrixRow]:
    combos = [(t.LB_NONE, False)] + [(lb, True) for lb in _MULTI_MASTER_LBS]
    rows: list[MatrixRow] = []
    for k8s in t.KUBERNETES_TYPES:
        for lb, multi in combos:
            rows.append(MatrixRow(f"E.{len(rows) + 1}", k8s, t.ETCD_EXTERNAL, lb, multi))
    return rows


def _user_lb_rows() -> list[MatrixRow]:
    return [
        MatrixRow(f"U.{index}", k8s, etcd, t.LB_EXTERNAL, True)
        for index, (k8s, etcd) in enumerate(PAIRS, start=1)
    ]


SUPPORT_MATRIX: tuple[MatrixRow, ...] = tuple(
    _required_rows() + _external_etcd_rows() + _user_lb_rows()
)
_BY_KEY = {(r.kubernetes, r.etcd, r.lb, r.multi_master): r for r in SUPPORT_MATRIX}


def matrix_row(k8s_type: str, etcd_type: str, lb_kind: str, masters: int) -> str | None:
    """Return the id of the supported row for this combination (``"9.18"``), or None.

    ``lb_kind`` is the effective load balancer (one of ``types.LB_KINDS``); ``masters`` the
    number of master hosts. Zero masters matches nothing.
    """
    if masters < 1:
        return None
    row = _BY_KEY.get((k8s_type, etcd_type, lb_kind, masters > 1))
    return row.row_id if row else None


def required_row_ids() -> list[str]:
    """The 21 row ids of the requirements table (9.3–9.23), in numeric order."""
    ids = [r.row_id for r in SUPPORT_MATRIX if r.row_id.startswith("9.")]
    return sorted(ids, key=lambda rid: int(rid.split(".")[1]))
