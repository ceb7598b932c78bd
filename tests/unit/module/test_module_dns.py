"""DNSModule: CoreDNS then NodeLocal DNS on the first master, by mode and config."""

from __future__ import annotations

from pathlib import Path

from cluster_kit import Ctx, cluster

from kubexm.module.base import MODULES
from kubexm.module.dns import DNSModule


def test_binary_mode_plans_coredns_then_nodelocaldns(tmp_path: Path) -> None:
    frag = DNSModule().plan(Ctx(cluster("  kubernetes: {type: kubexm}\n"), tmp_path))

    assert frag is not None
    nodes = list(frag)
    assert [n.id for n in nodes] == ["dns/install-coredns@m1", "dns/install-nodelocaldns@m1"]
    assert nodes[0].id in nodes[1].deps
    assert MODULES.get("dns") is DNSModule


def test_kubeadm_mode_without_customisation_and_nodelocaldns_plans_nothing(tmp_path: Path) -> None:
    ctx = Ctx(cluster("  dns: {nodelocaldns: {enabled: false}}\n"), tmp_path)

    assert DNSModule().plan(ctx) is None
