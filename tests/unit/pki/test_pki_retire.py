"""Per-host PKI files of removed hosts are moved to ``retired/<timestamp>/``, never deleted."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pkitest_helpers import ETCD, NODES, Generated, make_plan

from kubexm.errors import PKIError
from kubexm.pki.generate import ensure_pki
from kubexm.pki.inventory import inventory
from kubexm.pki.retire import (
    RETIRED_DIR,
    StaleItem,
    per_host_leaf_templates,
    retire,
    retired_folder,
    stale_items,
)

NOW = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
W1_FILES = {
    "kubelet/w1-client.crt",
    "kubelet/w1-client.key",
    "kubelet/w1-serving.crt",
    "kubelet/w1-serving.key",
    "kubeconfig/kubelet-w1.conf",
    "kubeconfig/kube-proxy-w1.conf",
}


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_per_host_templates_are_the_etcd_and_kubelet_rows() -> None:
    assert set(per_host_leaf_templates()) == {
        "etcd/{node}-server",
        "etcd/{node}-peer",
        "kubelet/{node}-client",
        "kubelet/{node}-serving",
    }


def test_removing_a_worker_retires_exactly_its_leaves_and_kubeconfigs(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    before = _snapshot(work.root)
    plan = make_plan(nodes=NODES[:1])  # w1 left the config
    report = ensure_pki(plan, work.pki, now=NOW)

    assert report.names("retired") == [
        "kubelet/w1-client",
        "kubelet/w1-serving",
        "kube-proxy-w1.conf",
        "kubelet-w1.conf",
    ]
    assert report.changed
    assert report.names("created") == report.names("reissued") == report.names("updated") == []
    entry = next(e for e in report.entries if e.action == "retired")
    assert "retired/20270102T030405Z/" in entry.reason
    after = _snapshot(work.root)
    retired = "pki/retired/20270102T030405Z"
    # Leaves keep their path below pki/, kubeconfigs go to kubeconfig/ in the retired folder.
    moved = {f"{retired}/{name}" for name in W1_FILES}
    gone = {f"pki/{n}" if not n.startswith("kubeconfig/") else n for n in W1_FILES}
    assert set(before) - set(after) == gone
    assert set(after) - set(before) == moved
    # Same bytes and modes in the retired folder: keys stay private, nothing is lost.
    for name in W1_FILES:
        old = f"pki/{name}" if not name.startswith("kubeconfig/") else name
        assert after[f"{retired}/{name}"] == before[old]
    assert after[f"{retired}/kubelet/w1-client.key"][1] == 0o600
    assert stat.S_IMODE((work.pki / RETIRED_DIR).stat().st_mode) == 0o700


def test_second_run_after_retiring_changes_nothing(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    plan = make_plan(nodes=NODES[:1])
    ensure_pki(plan, work.pki, now=NOW)
    before = _snapshot(work.root)
    report = ensure_pki(plan, work.pki, now=NOW)
    assert not report.changed
    assert report.names("retired") == []
    assert _snapshot(work.root) == before


def test_removing_an_etcd_member_retires_its_server_and_peer(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    report = ensure_pki(make_plan(etcd=ETCD[:1]), work.pki, now=NOW)
    assert report.names("retired") == ["etcd/e2-peer", "etcd/e2-server"]
    assert (work.pki / "etcd" / "healthcheck-client.crt").is_file()
    assert (work.pki / "etcd" / "e1-server.key").is_file()
    assert (work.pki / "retired" / "20270102T030405Z" / "etcd" / "e2-peer.key").is_file()


def test_retire_stale_false_leaves_the_files(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    report = ensure_pki(make_plan(nodes=NODES[:1]), work.pki, retire_stale=False)
    assert report.names("retired") == []
    assert (work.pki / "kubelet" / "w1-client.key").is_file()
    assert not (work.pki / RETIRED_DIR).exists()


def test_refused_run_retires_nothing(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "ca.key").unlink()  # a broken CA makes the run refuse before any write
    with pytest.raises(PKIError):
        ensure_pki(make_plan(nodes=NODES[:1]), work.pki)
    assert (work.pki / "kubelet" / "w1-client.crt").is_file()
    assert not (work.pki / RETIRED_DIR).exists()


def test_inventory_leaves_retired_files_out(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    ensure_pki(make_plan(nodes=NODES[:1]), work.pki, now=NOW)
    names = {info.name for info in inventory(work.pki, work.kubeconfig)}
    assert "kubelet/w1-client" not in names and "kubelet-w1.conf" not in names
    assert "kubelet/m1-client" in names


def test_stale_items_ignores_cluster_wide_and_foreign_files(tmp_path: Path) -> None:
    pki, confs = tmp_path / "pki", tmp_path / "kubeconfig"
    for name in ("etcd/ca.crt", "etcd/healthcheck-client.crt", "etcd/-server.crt", "etcd/x.txt"):
        (pki / name).parent.mkdir(parents=True, exist_ok=True)
        (pki / name).write_text("x")
    confs.mkdir()
    for name in ("admin.conf", "kubelet-n9.conf", "notes.conf"):
        (confs / name).write_text("x")
    items = stale_items(pki, confs, leaves=[], confs=["admin.conf"])
    assert items == [StaleItem("kubelet-n9.conf", "kubeconfig", (confs / "kubelet-n9.conf",))]


def test_retired_folder_never_reuses_an_existing_one(tmp_path: Path) -> None:
    first = retired_folder(tmp_path, NOW)
    assert first == tmp_path / "retired" / "20270102T030405Z"
    first.mkdir(parents=True)
    second = retired_folder(tmp_path, NOW)
    assert second.name == "20270102T030405Z-2"


def test_retire_reports_a_file_it_cannot_move(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    item = StaleItem("kubelet/n9-client", "leaf", (pki / "kubelet" / "n9-client.crt",))
    with pytest.raises(PKIError, match="cannot move"):
        retire([item], pki, tmp_path / "kubeconfig", pki / "retired" / "x")
