from kubexm.common import ports


def test_default_ports_are_valid_and_distinct() -> None:
    values = [
        ports.SSH,
        ports.APISERVER,
        ports.ETCD_CLIENT,
        ports.ETCD_PEER,
        ports.KUBELET,
        ports.CONTROLLER_MANAGER,
        ports.SCHEDULER,
        ports.KUBE_PROXY_METRICS,
        ports.KUBE_PROXY_HEALTHZ,
        ports.COREDNS_METRICS,
        ports.NODELOCALDNS_METRICS,
        ports.FLANNEL_VXLAN,
    ]
    assert all(ports.PORT_MIN <= port <= ports.PORT_MAX for port in values)
    assert len(set(values)) == len(values)


def test_node_port_range_is_ordered() -> None:
    start, end = (int(part) for part in ports.SERVICE_NODE_PORT_RANGE.split("-"))
    assert start < end
