from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pkitest_helpers import Generated, make_plan

from kubexm.errors import PKIError
from kubexm.pki.generate import ensure_pki
from kubexm.pki.inventory import CertInfo, inventory, inventory_dicts, render_table
from kubexm.pki.kubeconfig import kubeconfig_specs
from kubexm.pki.table import leaf_requests


def _info(days_left: int, name: str = "x") -> CertInfo:
    return CertInfo(
        name=name,
        path=Path(f"/pki/{name}.crt"),
        subject=f"CN={name}",
        issuer="CN=kubernetes",
        not_after=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=days_left),
        days_left=days_left,
        sans=(),
        kind="leaf",
    )


def test_inventory_lists_cas_leaves_and_kubeconfigs(generated: Generated) -> None:
    infos = {info.name: info for info in inventory(generated.pki)}
    leaves = {req.name for req in leaf_requests(generated.plan)}
    confs = {spec.name for spec in kubeconfig_specs(generated.plan)}
    assert set(infos) == leaves | confs | {"ca", "etcd/ca", "front-proxy-ca"}
    assert {infos[n].kind for n in ("ca", "etcd/ca", "front-proxy-ca")} == {"ca"}
    assert {infos[n].kind for n in leaves} == {"leaf"}
    assert {infos[n].kind for n in confs} == {"kubeconfig"}


def test_inventory_reads_subject_issuer_sans_and_path(generated: Generated) -> None:
    infos = {info.name: info for info in inventory(generated.pki)}
    apiserver = infos["apiserver"]
    assert (apiserver.subject, apiserver.issuer) == ("CN=kube-apiserver", "CN=kubernetes")
    assert apiserver.path == generated.pki / "apiserver.crt"
    assert "kubernetes.default.svc.cluster.local" in apiserver.sans
    admin = infos["admin.conf"]
    assert admin.subject == "CN=kubernetes-admin,O=kubeadm:cluster-admins"
    assert admin.path == generated.kubeconfig / "admin.conf"
    assert infos["etcd/e1-peer"].issuer == "CN=etcd-ca"


def test_days_left_counts_from_now(generated: Generated) -> None:
    later = datetime.now(UTC) + timedelta(days=100)
    infos = {info.name: info for info in inventory(generated.pki, now=later)}
    assert infos["apiserver"].days_left in (264, 265)
    assert infos["ca"].days_left in (3549, 3550)


def test_missing_directories_give_an_empty_inventory(tmp_path: Path) -> None:
    assert inventory(tmp_path / "pki") == []


def test_explicit_kubeconfig_dir_is_read(tmp_path: Path) -> None:
    ensure_pki(make_plan(etcd=(), nodes=()), tmp_path / "pki", kubeconfig_dir=tmp_path / "confs")
    names = {info.name for info in inventory(tmp_path / "pki", tmp_path / "confs")}
    assert "admin.conf" in names
    assert "admin.conf" not in {info.name for info in inventory(tmp_path / "pki")}


def test_corrupt_certificate_raises_pki_error(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "apiserver.crt").write_text("broken")
    with pytest.raises(PKIError, match="not a readable PEM certificate"):
        inventory(tmp_path / "pki")


def test_kubeconfig_without_embedded_cert_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").mkdir()
    (tmp_path / "kubeconfig" / "token.conf").write_text(
        "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority-data: Q0E=}}]\n"
        "contexts: [{name: t, context: {cluster: c, user: u}}]\n"
        "current-context: t\n"
        "users: [{name: u, user: {token: abc}}]\n"
    )
    assert inventory(tmp_path / "pki") == []


@pytest.mark.parametrize(
    ("days", "warn_days", "status"),
    [
        (-1, 30, "expired"),
        (0, 30, "warning"),
        (29, 30, "warning"),
        (30, 30, "ok"),
        (50, 90, "warning"),
    ],
    ids=["expired", "today", "under-threshold", "at-threshold", "custom-threshold"],
)
def test_status_flags_expiry(days: int, warn_days: int, status: str) -> None:
    assert _info(days).status(warn_days) == status


def test_inventory_dicts_are_json_ready(generated: Generated) -> None:
    dicts = inventory_dicts(inventory(generated.pki))
    decoded = json.loads(json.dumps(dicts))
    apiserver = next(d for d in decoded if d["name"] == "apiserver")
    assert apiserver["kind"] == "leaf"
    assert apiserver["status"] == "ok"
    assert datetime.fromisoformat(apiserver["not_after"]).tzinfo is not None
    assert "127.0.0.1" in apiserver["sans"]


def test_inventory_dicts_use_the_warning_threshold() -> None:
    assert inventory_dicts([_info(40)], warn_days=60)[0]["status"] == "warning"
    assert inventory_dicts([_info(40)])[0]["status"] == "ok"


def test_render_table_sorts_soonest_first_and_flags_status() -> None:
    table = render_table([_info(200, "late"), _info(-3, "gone"), _info(10, "soon")])
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "EXPIRES", "DAYS", "LEFT", "ISSUER", "STATUS"]
    assert [line.split()[0] for line in lines[1:]] == ["gone", "soon", "late"]
    assert lines[1].endswith("EXPIRED")
    assert lines[2].endswith("WARNING")
    assert lines[3].endswith("OK")


def test_render_table_of_a_real_pki_has_a_row_per_certificate(generated: Generated) -> None:
    infos = inventory(generated.pki)
    table = render_table(infos, warn_days=400)
    assert len(table.splitlines()) == len(infos) + 1
    assert table.count("WARNING") == len([i for i in infos if i.kind != "ca"])
