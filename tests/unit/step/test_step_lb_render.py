"""Rendering of the load-balancer files: goldens per variant, VRID, priorities, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubexm.errors import KubexmError
from kubexm.step.lb.render import (
    STATIC_PODS,
    Backend,
    Vrrp,
    priority,
    render,
    render_check_script,
    render_haproxy,
    render_keepalived,
    render_kube_vip,
    render_nginx,
    render_static_pod,
    virtual_router_id,
)
from kubexm.step.lb.tools import STREAM_MODULES
from kubexm.util.yamlio import load_yaml_plain

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "lb"
BACKENDS = [Backend("m1", "10.0.0.1", 6443), Backend("m2", "10.0.0.2", 6443)]
VRRP = Vrrp("lb1", "eth0", "10.0.0.100", 42, 150, "s3cr3tPW")


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/lb/<name>; KUBEXM_UPDATE_GOLDEN=1 rewrites on purpose."""
    path = GOLDEN / name
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_haproxy_for_lb_hosts_matches_golden() -> None:
    golden("haproxy-kh.cfg", render_haproxy(BACKENDS, bind="0.0.0.0", port=8443, purpose="kh"))


def test_haproxy_node_local_matches_golden() -> None:
    text = render_haproxy(BACKENDS, bind="127.0.0.1", port=6443, purpose="node-local")
    golden("haproxy-local.cfg", text)


def test_nginx_with_stream_module_matches_golden() -> None:
    text = render_nginx(
        BACKENDS,
        bind="0.0.0.0",
        port=6443,
        purpose="kn",
        stream_module=STREAM_MODULES["debian"],
        pid_file="/run/nginx.pid",
    )
    golden("nginx-kn.conf", text)


def test_nginx_for_the_image_loads_no_module_and_sets_no_pid() -> None:
    text = render_nginx(
        BACKENDS, bind="127.0.0.1", port=6443, purpose="pod", stream_module=None, pid_file=None
    )
    golden("nginx-pod.conf", text)
    assert "load_module" not in text and "pid " not in text


def test_keepalived_multicast_matches_golden() -> None:
    golden("keepalived.conf", render_keepalived(VRRP))


def test_keepalived_unicast_lists_source_and_peers() -> None:
    vrrp = Vrrp("lb1", "eth0", "10.0.0.100", 42, 150, "pw", "10.0.0.3", ("10.0.0.4", "10.0.0.5"))
    text = render_keepalived(vrrp)
    golden("keepalived-unicast.conf", text)
    assert "unicast_src_ip 10.0.0.3" in text and "        10.0.0.5\n" in text


def test_keepalived_ipv6_vip_gets_a_128_prefix() -> None:
    vrrp = Vrrp("lb1", "eth0", "fd00::100", 42, 150, "pw")
    assert "fd00::100/128 dev eth0" in render_keepalived(vrrp)


def test_check_script_fails_when_the_process_is_absent() -> None:
    text = render_check_script("haproxy")
    golden("check-lb.sh", text)
    assert text.startswith("#!/bin/sh\n") and "pidof haproxy" in text


@pytest.mark.parametrize("kind", ["haproxy", "nginx"])
def test_static_pod_mounts_its_config_and_carries_its_checksum(kind: str) -> None:
    text = render_static_pod(kind, f"docker.io/library/{kind}:1", "config-text")
    golden(f"kubexm-{kind}.yaml", text)
    pod = load_yaml_plain(text)
    assert pod["metadata"]["name"] == f"kubexm-{kind}"
    assert pod["spec"]["volumes"][0]["hostPath"]["path"] == STATIC_PODS[kind].config_path
    mount = pod["spec"]["containers"][0]["volumeMounts"][0]["mountPath"]
    assert mount == STATIC_PODS[kind].mount_path
    other = load_yaml_plain(render_static_pod(kind, "img", "changed"))
    key = "kubexm.io/cfg-checksum"
    assert other["metadata"]["annotations"][key] != pod["metadata"]["annotations"][key]


def test_kube_vip_manifest_matches_golden_and_is_valid_yaml() -> None:
    text = render_kube_vip(
        "ghcr.io/kube-vip/kube-vip:v1.0.3",
        vip="10.0.0.100",
        port=6443,
        interface="eth0",
        kubeconfig="/etc/kubernetes/admin.conf",
    )
    golden("kube-vip.yaml", text)
    env = {e["name"]: e["value"] for e in load_yaml_plain(text)["spec"]["containers"][0]["env"]}
    assert env["address"] == "10.0.0.100" and env["vip_interface"] == "eth0"
    assert env["vip_leaderelection"] == "true" and env["vip_arp"] == "true"


@pytest.mark.parametrize("name", ["kubexm", "prod", "a" * 200], ids=["short", "word", "long"])
def test_virtual_router_id_is_stable_and_in_range(name: str) -> None:
    assert virtual_router_id(name) == virtual_router_id(name)
    assert 1 <= virtual_router_id(name) <= 255


def test_virtual_router_id_differs_between_clusters() -> None:
    assert len({virtual_router_id(f"c{i}") for i in range(20)}) > 10


@pytest.mark.parametrize(
    ("index", "want"), [(0, 150), (1, 140), (20, 1)], ids=["1st", "2nd", "floor"]
)
def test_priority_falls_with_host_order(index: int, want: int) -> None:
    assert priority(index) == want


def test_backend_endpoint_brackets_ipv6() -> None:
    assert Backend("m", "fd00::1", 6443).endpoint == "[fd00::1]:6443"
    assert BACKENDS[0].endpoint == "10.0.0.1:6443"


def test_missing_value_is_a_kubexm_error_naming_the_template() -> None:
    with pytest.raises(KubexmError, match=r"haproxy\.cfg\.j2"):
        render("haproxy.cfg.j2", backends=BACKENDS)
