"""``spec.controlPlaneEndpoint``: how nodes and clients reach kube-apiserver.

Two mutually exclusive settings choose the load balancer: ``externalLoadBalancer``
(``kubexm-kh``, ``kubexm-kn``, ``external``) and ``internalLoadbalancer`` (``haproxy``,
``nginx``, ``kube-vip``, ``none``). ``effective_lb`` resolves them against the master count.
``keepalived`` tunes the VRRP of ``kubexm-kh``/``kubexm-kn`` (kubexm.config rejects it with
any other load balancer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field

from kubexm.common import network, ports
from kubexm.common import types as t

from .base import KxModel, check_domain, check_ip, normalise

ExternalLB = Annotated[
    Literal["kubexm-kh", "kubexm-kn", "external"],
    BeforeValidator(lambda v: normalise(v, t.EXTERNAL_LB_ALIASES)),
]
InternalLB = Annotated[
    Literal["haproxy", "nginx", "kube-vip", "none"],
    BeforeValidator(lambda v: normalise(v, t.INTERNAL_LB_ALIASES)),
]


class Keepalived(KxModel):
    """``controlPlaneEndpoint.keepalived``: the VRRP instance of kubexm-kh / kubexm-kn.

    ``virtualRouterId`` unset means one derived from the cluster name; set it when two
    clusters on one L2 segment would share the derived id. ``unicast`` sends the adverts to
    the other load-balancer hosts' internal addresses instead of multicast, for networks
    (most clouds) that drop multicast.
    """

    virtual_router_id: Annotated[int, Field(ge=1, le=255)] | None = None
    unicast: bool = False


def vrrp_address(addresses: Sequence[str], vip: str) -> str:
    """The first of a host's internal ``addresses`` in the family of ``vip``, "" when none:
    one VRRP instance speaks one address family, so its unicast peers must share the VIP's."""
    return next((a for a in addresses if (":" in a) == (":" in vip)), "")


class ControlPlaneEndpoint(KxModel):
    """The API endpoint: ``domain:port``, resolved per node to the right target."""

    domain: Annotated[str, AfterValidator(check_domain)] = network.API_DOMAIN
    address: Annotated[str, AfterValidator(check_ip)] | None = Field(
        default=None, validation_alias=AliasChoices("address", "lb_address")
    )
    port: Annotated[int, Field(ge=ports.PORT_MIN, le=ports.PORT_MAX)] = ports.APISERVER
    external_dns: bool = Field(default=False, alias="externalDNS")
    external_load_balancer: ExternalLB | None = Field(
        default=None,
        validation_alias=AliasChoices("externalLoadBalancer", "externalLoadBalancerType"),
    )
    internal_loadbalancer: InternalLB | None = Field(
        default=None,
        validation_alias=AliasChoices("internalLoadbalancer", "internalLoadBalancerType"),
        serialization_alias="internalLoadbalancer",
    )
    keepalived: Keepalived | None = None

    def effective_lb(self, masters: int) -> str:
        """The load balancer that runs (one of ``types.LB_KINDS``).

        One master: none. Several masters: the external LB, else the internal one, else
        haproxy. Contradictory settings (both set, an LB with one master) are rejected by
        kubexm.config before anyone asks.
        """
        if self.external_load_balancer:
            return self.external_load_balancer
        if self.internal_loadbalancer:
            return self.internal_loadbalancer
        return t.LB_NONE if masters <= 1 else t.LB_HAPROXY
