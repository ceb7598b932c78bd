import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.dns import DNSSpec


def test_nodelocaldns_is_on_at_the_link_local_default() -> None:
    spec = DNSSpec.model_validate({})
    assert (spec.nodelocaldns.enabled, spec.nodelocaldns.ip) == (True, "169.254.25.10")


def test_camel_case_old_keys_are_accepted() -> None:
    spec = DNSSpec.model_validate(
        {"coreDNS": {"upstream": {"policy": "sequential"}}, "nodeLocalDNS": {"ip": "169.254.20.10"}}
    )
    assert spec.coredns.upstream.policy == "sequential"
    assert spec.nodelocaldns.ip == "169.254.20.10"


def test_external_zone_needs_zones_and_ip_nameservers() -> None:
    with pytest.raises(ValidationError):
        DNSSpec.model_validate(
            {"coredns": {"externalZones": [{"zones": ["a.b"], "nameservers": ["x"]}]}}
        )


def test_upstream_falls_back_to_public_servers_without_resolv_conf() -> None:
    spec = DNSSpec.model_validate({"coredns": {"upstream": {"useNodeResolvConf": False}}})
    assert spec.coredns.upstream.static_servers == ["8.8.8.8", "1.1.1.1"]
