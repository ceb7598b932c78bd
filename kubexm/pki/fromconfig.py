"""Build the PKI layer's input from a validated cluster config."""

from __future__ import annotations

from datetime import timedelta

from kubexm.apis import Cluster
from kubexm.apis.v1alpha1.hosts import Host
from kubexm.common import roles, types
from kubexm.pki.model import KeyType, Member, PKIPlan
from kubexm.util.cidr import split_csv
from kubexm.util.duration import parse_duration


def _member(cluster: Cluster, host: Host, *, with_endpoint: bool = False) -> Member:
    addresses = list(dict.fromkeys([*host.internal_addresses, host.address]))
    endpoint = cluster.api_endpoint_for(host.name).server if with_endpoint else None
    return Member(host.name, tuple(addresses), endpoint)


def _nodes(cluster: Cluster) -> tuple[Member, ...]:
    """Hosts that run a kubelet get their own credentials in binary mode only.

    In kubeadm mode kubelets bootstrap with a token and kubeadm writes their kubeconfig.
    """
    if cluster.spec.kubernetes.type != types.KUBERNETES_KUBEXM:
        return ()
    names = dict.fromkeys(
        [h.name for h in cluster.masters]
        + [h.name for h in cluster.hosts_in_role(roles.ROLE_WORKER)]
    )
    return tuple(_member(cluster, cluster.host(name), with_endpoint=True) for name in names)


def plan_from_cluster(
    cluster: Cluster, *, key_type: KeyType = "rsa", rekey: bool = False
) -> PKIPlan:
    """The certificates and kubeconfigs ``cluster`` needs, as a ``PKIPlan``.

    ``key_type`` applies to new keys, and to existing ones only with ``rekey``. An external
    etcd gets no etcd CA: its own ``caFile``/``certFile``/``keyFile`` are used.

    Raises ``PKIError`` when a value of the config cannot go into a certificate.
    """
    spec = cluster.spec
    cpe = spec.control_plane_endpoint
    return PKIPlan(
        cluster_name=cluster.cluster_name,
        masters=tuple(_member(cluster, h) for h in cluster.masters),
        service_cidrs=tuple(split_csv(spec.network.kube_service_cidr)),
        dns_domain=spec.kubernetes.dns_domain,
        endpoint_domain=cpe.domain,
        endpoint_address=cpe.address or None,
        endpoint_port=cpe.port,
        etcd=tuple(_member(cluster, h) for h in cluster.etcd_members()),
        nodes=_nodes(cluster),
        cert_extra_sans=tuple(spec.kubernetes.api_server.cert_extra_sans),
        key_type=key_type,
        rekey=rekey,
        etcd_pki=spec.etcd.type != types.ETCD_EXTERNAL,
        ca_validity=timedelta(seconds=parse_duration(spec.certs.ca_duration)),
        leaf_validity=timedelta(seconds=parse_duration(spec.certs.cert_duration)),
    )
