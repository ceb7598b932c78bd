import pytest

from kubexm.common import matrix
from kubexm.common import types as t


def test_required_rows_are_the_21_of_the_requirements() -> None:
    ids = matrix.required_row_ids()
    assert ids == [f"9.{n}" for n in range(3, 24)]


@pytest.mark.parametrize(
    ("k8s", "etcd", "lb", "masters", "row"),
    [
        pytest.param("kubeadm", "kubeadm", "none", 1, "9.3", id="9.3"),
        pytest.param("kubexm", "kubexm", "none", 1, "9.4", id="9.4"),
        pytest.param("kubeadm", "kubexm", "none", 3, "9.8", id="9.8"),
        pytest.param("kubexm", "kubexm", "haproxy", 3, "9.11", id="9.11"),
        pytest.param("kubeadm", "kubexm", "nginx", 3, "9.13", id="9.13"),
        pytest.param("kubexm", "kubexm", "kube-vip", 5, "9.17", id="9.17"),
        pytest.param("kubeadm", "kubeadm", "kubexm-kh", 3, "9.18", id="9.18"),
        pytest.param("kubexm", "kubexm", "kubexm-kn", 3, "9.23", id="9.23"),
        pytest.param("kubeadm", "external", "none", 1, "E.1", id="external-etcd"),
        pytest.param("kubeadm", "kubeadm", "external", 3, "U.1", id="user-lb"),
    ],
)
def test_matrix_row_finds_supported_combinations(
    k8s: str, etcd: str, lb: str, masters: int, row: str
) -> None:
    assert matrix.matrix_row(k8s, etcd, lb, masters) == row


@pytest.mark.parametrize(
    ("k8s", "etcd", "lb", "masters"),
    [
        pytest.param("kubexm", "kubeadm", "none", 1, id="kubexm-with-kubeadm-etcd"),
        pytest.param("kubeadm", "kubeadm", "haproxy", 1, id="lb-with-one-master"),
        pytest.param("kubeadm", "kubeadm", "none", 0, id="no-master"),
        pytest.param("kubeadm", "kubeadm", "bogus", 3, id="unknown-lb"),
    ],
)
def test_matrix_row_rejects_unsupported_combinations(
    k8s: str, etcd: str, lb: str, masters: int
) -> None:
    assert matrix.matrix_row(k8s, etcd, lb, masters) is None


def test_row_ids_are_unique_and_kinds_known() -> None:
    ids = [row.row_id for row in matrix.SUPPORT_MATRIX]
    assert len(ids) == len(set(ids))
    assert all(row.lb in t.LB_KINDS for row in matrix.SUPPORT_MATRIX)
    assert not any(row.lb != t.LB_NONE and not row.multi_master for row in matrix.SUPPORT_MATRIX)
