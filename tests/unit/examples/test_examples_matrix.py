"""``examples/matrix/``: one valid config per support-matrix row, named after its row.

A file is named ``<row>-<kubernetes type>-<etcd type>-<load balancer>.yaml`` and must be that
row: the name, the config's own types and ``matrix_row`` agree. The shape is the one the
plan goldens were reviewed for: 1 or 3 masters, etcd on the masters, 2 workers, and two
load-balancer hosts for kubexm-kh/kn.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubexm.cmd.main import run
from kubexm.common import types as t
from kubexm.common.matrix import matrix_row, required_row_ids
from kubexm.config import load

MATRIX_DIR = Path(__file__).resolve().parents[3] / "examples" / "matrix"
FILES = sorted(MATRIX_DIR.glob("*.yaml"))
IDS = [p.name.split("-")[0] for p in FILES]


def name_parts(path: Path) -> tuple[str, str, str, str]:
    """``9.18-kubeadm-kubeadm-kubexm-kh.yaml`` -> (``9.18``, ``kubeadm``, ``kubeadm``,
    ``kubexm-kh``); the load balancer may contain dashes itself."""
    row, k8s, etcd, lb = path.stem.split("-", 3)
    return row, k8s, etcd, lb


def test_every_required_row_has_exactly_one_example() -> None:
    assert sorted(IDS) == sorted(required_row_ids())
    assert len(FILES) == len(set(IDS)) == 21


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_the_file_name_is_the_row_of_the_config(path: Path) -> None:
    row, k8s, etcd, lb = name_parts(path)
    cluster = load(path).cluster
    masters = len(cluster.masters)
    assert (cluster.spec.kubernetes.type, cluster.spec.etcd.type, cluster.lb_kind) == (
        k8s,
        etcd,
        lb,
    )
    assert matrix_row(k8s, etcd, lb, masters) == row
    assert cluster.support_row == row


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_the_example_validates_without_warnings(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["config", "validate", "-f", str(path)]) == 0
    out = capsys.readouterr()
    assert "config is valid" in out.out
    assert "warning" not in out.out + out.err
    assert load(path).warnings == []


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_the_example_has_the_reviewed_shape(path: Path) -> None:
    cluster = load(path).cluster
    kind = cluster.lb_kind
    masters = [h.name for h in cluster.masters]
    workers = [h.name for h in cluster.hosts_in_role("worker")]
    lbs = [h.name for h in cluster.hosts_in_role("loadbalancer")]
    assert len(masters) in (1, 3) and not set(masters) & set(workers)
    assert len(workers) == 2
    assert [h.name for h in cluster.etcd_members()] == masters
    assert len(lbs) == (2 if kind in t.LB_KINDS_ON_LB_HOSTS else 0)
    assert bool(cluster.spec.control_plane_endpoint.address) == (kind in t.LB_KINDS_WITH_VIP)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_the_example_says_which_row_it_is(path: Path) -> None:
    row = name_parts(path)[0]
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(f"# Matrix row {row}: ")
