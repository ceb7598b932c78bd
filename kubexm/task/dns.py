"""Tasks of cluster DNS, on the first master: CoreDNS (kubexm deploys it in binary mode;
in kubeadm mode kubeadm deployed it and kubexm only replaces its Corefile when the config
customises DNS) and NodeLocal DNSCache (when ``dns.nodelocaldns.enabled``, the default).
"""

from __future__ import annotations

from typing import ClassVar

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.common import types as t
from kubexm.errors import PlanError
from kubexm.plan import Fragment, PlanContext
from kubexm.resource.resolve import resolve_artifacts
from kubexm.step.dns.install_coredns import InstallCoredns
from kubexm.step.dns.install_nodelocaldns import InstallNodelocaldns
from kubexm.step.dns.render import (
    coredns_customised,
    render_coredns,
    render_coredns_config_map,
    render_nodelocaldns,
)
from kubexm.step.dns.write_coredns_config import WriteCorednsConfig
from kubexm.task.base import Task
from kubexm.task.cni import cluster_of, first_master


def dns_image(cluster: Cluster, purpose: str) -> str:
    """The reference the cluster pulls for ``purpose`` (``dns:coredns``,
    ``dns:nodelocaldns``): BOM tag, zone mirror and private registry applied."""
    for image in resolve_artifacts(cluster).images:
        if image.purpose == purpose:
            return image.target
    raise PlanError(f"no image resolved for {purpose}", "a kubexm bug: report it")


class CorednsInstallTask(Task):
    """Binary mode: every CoreDNS object. kubeadm mode: only the Corefile, when customised."""

    name: ClassVar[str] = "dns/coredns"
    description: ClassVar[str] = "Deploy or configure CoreDNS"

    def is_required(self, ctx: PlanContext) -> bool:
        cluster = cluster_of(ctx)
        binary = cluster.spec.kubernetes.type == t.KUBERNETES_KUBEXM
        return binary or coredns_customised(cluster)

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        frag = Fragment(self.name)
        host = first_master(cluster)
        if cluster.spec.kubernetes.type == t.KUBERNETES_KUBEXM:
            manifest = render_coredns(cluster, dns_image(cluster, "dns:coredns"))
            frag.add(InstallCoredns(manifest), host)
        else:
            frag.add(WriteCorednsConfig(render_coredns_config_map(cluster)), host)
        return frag


class NodelocaldnsInstallTask(Task):
    """NodeLocal DNSCache on every node, applied from the first master."""

    name: ClassVar[str] = "dns/nodelocaldns"
    description: ClassVar[str] = "Deploy NodeLocal DNSCache"

    def is_required(self, ctx: PlanContext) -> bool:
        return cluster_of(ctx).spec.dns.nodelocaldns.enabled

    def build(self, ctx: PlanContext) -> Fragment:
        cluster = cluster_of(ctx)
        manifest = render_nodelocaldns(cluster, dns_image(cluster, "dns:nodelocaldns"))
        frag = Fragment(self.name)
        frag.add(InstallNodelocaldns(manifest), first_master(cluster))
        return frag
