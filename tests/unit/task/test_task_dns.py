"""DNS tasks: CoreDNS deployed in binary mode, configured in kubeadm mode when customised;
NodeLocal DNS when enabled."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_kit import Ctx, cluster

from kubexm.errors import PlanError
from kubexm.step.dns.install_coredns import InstallCoredns
from kubexm.step.dns.install_nodelocaldns import InstallNodelocaldns
from kubexm.step.dns.write_coredns_config import WriteCorednsConfig
from kubexm.task.dns import CorednsInstallTask, NodelocaldnsInstallTask, dns_image


def test_binary_mode_deploys_coredns_on_the_first_master(tmp_path: Path) -> None:
    ctx = Ctx(cluster("  kubernetes: {type: kubexm}\n"), tmp_path)

    [node] = list(CorednsInstallTask().plan(ctx) or [])

    assert node.host == "m1" and isinstance(node.step, InstallCoredns)
    assert "image: registry.k8s.io/coredns/coredns:" in node.step.manifest


def test_kubeadm_mode_leaves_coredns_alone_unless_customised(tmp_path: Path) -> None:
    assert CorednsInstallTask().plan(Ctx(cluster(), tmp_path)) is None

    custom = Ctx(cluster("  dns: {coredns: {upstream: {staticServers: [10.0.0.53]}}}\n"), tmp_path)
    [node] = list(CorednsInstallTask().plan(custom) or [])

    assert isinstance(node.step, WriteCorednsConfig)
    assert "forward . 10.0.0.53 {" in node.step.manifest


def test_nodelocaldns_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    [node] = list(NodelocaldnsInstallTask().plan(Ctx(cluster(), tmp_path)) or [])

    assert isinstance(node.step, InstallNodelocaldns)
    off = Ctx(cluster("  dns: {nodelocaldns: {enabled: false}}\n"), tmp_path)
    assert NodelocaldnsInstallTask().plan(off) is None


def test_dns_image_follows_the_zone_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KXZONE", "cn")

    assert dns_image(cluster(), "dns:coredns").startswith("registry.cn-beijing.aliyuncs.com/")
    with pytest.raises(PlanError):
        dns_image(cluster(), "dns:nothing")
