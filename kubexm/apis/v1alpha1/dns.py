"""``spec.dns``: CoreDNS and NodeLocal DNS (the one place NodeLocal DNS is configured)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, Field, model_validator

from kubexm.common import network

from .base import KxModel, check_domain, check_ip
from .sources import AddonSource

IP = Annotated[str, AfterValidator(check_ip)]


class RewriteRule(KxModel):
    """A CoreDNS rewrite inside an external zone."""

    from_pattern: Annotated[str, Field(min_length=1)]
    to_template: Annotated[str, Field(min_length=1)]


class ExternalZone(KxModel):
    """Forward some zones to specific nameservers."""

    zones: Annotated[list[Annotated[str, AfterValidator(check_domain)]], Field(min_length=1)]
    nameservers: Annotated[list[IP], Field(min_length=1)]
    cache: Annotated[int, Field(ge=0)] = 30
    rewrite: list[RewriteRule] = Field(default_factory=list)


class Upstream(KxModel):
    """Where CoreDNS forwards names outside the cluster."""

    static_servers: list[IP] = Field(default_factory=list)
    use_node_resolv_conf: bool = True
    policy: Literal["random", "round_robin", "sequential"] = "random"
    max_concurrent: Annotated[int, Field(ge=0)] = 1000

    @model_validator(mode="after")
    def _default_servers(self) -> Upstream:
        # Without the node's resolv.conf CoreDNS needs somewhere to forward to.
        if not self.use_node_resolv_conf and not self.static_servers:
            self.static_servers = list(network.COREDNS_STATIC_UPSTREAMS)
        return self


class CoreDNS(KxModel):
    """CoreDNS settings."""

    additional_configs: str | None = None
    rewrite_block: str | None = None
    upstream: Upstream = Field(default_factory=Upstream)
    external_zones: list[ExternalZone] = Field(default_factory=list)


class NodeLocalDNS(KxModel):
    """NodeLocal DNSCache on every node (on by default)."""

    enabled: bool = True
    ip: IP = network.NODELOCALDNS_IP
    external_zones: list[ExternalZone] = Field(default_factory=list)


class DNSSpec(KxModel):
    """Cluster DNS."""

    dns_etc_hosts: str | None = None
    node_etc_hosts: str | None = None
    coredns: CoreDNS = Field(
        default_factory=CoreDNS, validation_alias=AliasChoices("coredns", "coreDNS")
    )
    nodelocaldns: NodeLocalDNS = Field(
        default_factory=NodeLocalDNS,
        validation_alias=AliasChoices("nodelocaldns", "nodeLocalDNS"),
    )
    sources: AddonSource | None = None
