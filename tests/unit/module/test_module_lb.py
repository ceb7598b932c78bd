"""LBModule: tasks by lb_kind, linked per host, with a VRRP password kept in the work dir."""

from __future__ import annotations

import logging
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.errors import KubexmError, PlanError
from kubexm.module.lb import SECRET_FILE, LBModule, auth_secret, lb_images, work_dir_of
from kubexm.plan import Fragment, Graph
from kubexm.runner.facts import Address
from kubexm.runtime.workdir import WorkDir

VIP = "10.0.0.100"


def cluster(endpoint: str, *, k8s: str = "kubexm", lbs: bool = False) -> Cluster:
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: prod}", "spec:"]
    hosts = [("m1", "10.0.0.1"), ("m2", "10.0.0.2"), ("w1", "10.0.0.9")]
    hosts += [("lb1", "10.0.0.21"), ("lb2", "10.0.0.22")] if lbs else []
    lines += ["  hosts:"]
    lines += [f"    - {{name: {n}, address: {a}, privateKeyPath: /k}}" for n, a in hosts]
    lines += ["  roleGroups:", "    master: [m1, m2]", "    etcd: [m1]", "    worker: [w1]"]
    lines += ["    loadbalancer: [lb1, lb2]"] if lbs else []
    lines += [f"  kubernetes: {{type: {k8s}}}", f"  controlPlaneEndpoint: {{{endpoint}}}"]
    return load_text("\n".join(lines) + "\n", source="t.yaml").cluster


@dataclass
class Ctx:
    config: Cluster
    root: Path

    @property
    def work_dir(self) -> WorkDir:
        return WorkDir(self.root)

    def hosts_with_role(self, role: str) -> list[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        ip = self.config.host(host).address
        return {
            "os_id": "debian",
            "os_version": "12",
            "arch": "amd64",
            "package_manager": "apt",
            "addresses": (Address("eth0", "inet", ip, 24),),
        }


def order_on(fragment: Fragment, host: str) -> list[str]:
    """The step ids on ``host`` by dependency depth (the graph must also be valid)."""
    Graph.from_fragment(fragment, "t")
    nodes = {n.id: n for n in fragment}

    def depth(nid: str) -> int:
        node = nodes.get(nid)
        return 0 if node is None else 1 + max((depth(d) for d in node.deps), default=0)

    ids = [n.id for n in fragment if n.host == host]
    return [nid.split("@")[0] for nid in sorted(ids, key=depth)]


def test_kh_plans_packages_proxy_then_keepalived_per_lb_host(tmp_path: Path) -> None:
    ctx = Ctx(cluster(f"address: {VIP}, externalLoadBalancer: kubexm-kh", lbs=True), tmp_path)
    fragment = LBModule().plan(ctx)
    assert fragment is not None
    assert fragment.hosts() == ["lb1", "lb2"]
    assert order_on(fragment, "lb2") == [
        "lb/install-lb-packages",
        "lb/write-haproxy-config",
        "lb/start-haproxy",
        "lb/write-keepalived",
        "lb/start-keepalived",
    ]


def test_vrrp_password_is_made_once_kept_0600_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = Ctx(cluster(f"address: {VIP}, externalLoadBalancer: kubexm-kn", lbs=True), tmp_path)
    with caplog.at_level(logging.DEBUG):
        first = LBModule().settings(ctx)
        again = LBModule().settings(ctx)
    secret_path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(secret_path.stat().st_mode) == 0o600
    assert first.auth_pass == again.auth_pass == secret_path.read_text().strip()
    assert len(first.auth_pass) == 8 and first.auth_pass.isalnum()
    assert first.auth_pass not in caplog.text and first.auth_pass not in repr(first)


def test_auth_secret_in_an_unwritable_place_is_a_kubexm_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(KubexmError, match="cannot keep the keepalived password"):
        auth_secret(blocker)


def test_one_master_plans_nothing(tmp_path: Path) -> None:
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: one}", "spec:"]
    lines += ["  hosts: [{name: m1, address: 10.0.0.1, privateKeyPath: /k}]"]
    lines += ["  roleGroups: {master: [m1], etcd: [m1], worker: [m1]}"]
    one = load_text("\n".join(lines) + "\n", source="t.yaml").cluster
    assert LBModule().plan(Ctx(one, tmp_path)) is None


def test_internal_haproxy_in_kubeadm_mode_uses_the_bom_image(tmp_path: Path) -> None:
    ctx = Ctx(cluster("internalLoadbalancer: haproxy", k8s="kubeadm"), tmp_path)
    assert lb_images(ctx)["haproxy"].startswith("docker.io/library/haproxy:")
    fragment = LBModule().plan(ctx)
    assert fragment is not None and fragment.hosts() == ["w1"]
    assert not (tmp_path / SECRET_FILE).exists(), "no VRRP, no password"


def test_kube_vip_plans_manifests_on_the_masters(tmp_path: Path) -> None:
    ctx = Ctx(cluster(f"address: {VIP}, internalLoadbalancer: kube-vip", k8s="kubeadm"), tmp_path)
    fragment = LBModule().plan(ctx)
    assert fragment is not None and fragment.hosts() == ["m1", "m2"]


def test_work_dir_of_rejects_a_context_without_one(tmp_path: Path) -> None:
    class Bare:
        work_dir = tmp_path

    with pytest.raises(PlanError, match="work dir"):
        work_dir_of(Bare())  # type: ignore[arg-type]  # a context without a WorkDir on purpose
