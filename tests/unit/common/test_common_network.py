import ipaddress

from kubexm.common import network


def test_default_pod_and_service_ranges_do_not_overlap() -> None:
    pods = ipaddress.ip_network(network.POD_CIDR)
    services = ipaddress.ip_network(network.SERVICE_CIDR)
    assert not pods.overlaps(services)


def test_cluster_dns_ip_is_inside_the_service_range() -> None:
    services = ipaddress.ip_network(network.SERVICE_CIDR)
    assert ipaddress.ip_address(network.CLUSTER_DNS_IP) in services


def test_nodelocaldns_ip_is_link_local() -> None:
    assert ipaddress.ip_address(network.NODELOCALDNS_IP).is_link_local
