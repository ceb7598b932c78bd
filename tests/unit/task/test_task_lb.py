"""Load-balancer tasks: pure planning per kind from config and facts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.errors import PlanError
from kubexm.plan import Fragment
from kubexm.runner.facts import Address
from kubexm.step.lb.check_lb_endpoint import CheckLbEndpoint
from kubexm.step.lb.install_lb_packages import InstallLbPackages
from kubexm.step.lb.render import Vrrp, render_keepalived, virtual_router_id
from kubexm.step.lb.start_lb_service import StartLbService
from kubexm.step.lb.write_lb_config import WriteLbConfig
from kubexm.step.lb.write_lb_manifest import WriteLbManifest
from kubexm.task.lb import (
    ExternalLbCheckTask,
    KeepalivedDeployTask,
    KubeVipDeployTask,
    LbPackagesInstallTask,
    LbPlan,
    LbProxyDeployTask,
    backends,
    cluster_of,
    interface_of,
    kube_vip_kubeconfig,
    lb_hosts,
    package_files,
    render_proxy,
    systemd_mode,
    unicast_addresses,
)

VIP = "10.0.0.100"


def facts(ip: str, *, os_id: str = "debian", route: str | None = None) -> dict[str, object]:
    return {
        "os_id": os_id,
        "os_version": "12",
        "arch": "amd64",
        "package_manager": "apt" if os_id == "debian" else "dnf",
        "default_interface": route,
        "addresses": (Address("lo", "inet", "127.0.0.1", 8), Address("ens3", "inet", ip, 24)),
    }


def cluster(endpoint: str, *, k8s: str = "kubexm") -> Cluster:
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: prod}", "spec:"]
    lines += ["  hosts:"]
    hosts = [("m1", "10.0.0.1"), ("m2", "10.0.0.2"), ("w1", "10.0.0.9")]
    managed = "kubexm-k" in endpoint
    if managed:
        hosts += [("lb1", "10.0.0.21"), ("lb2", "10.0.0.22")]
    lines += [f"    - {{name: {n}, address: {a}, privateKeyPath: /k}}" for n, a in hosts]
    lines += ["  roleGroups:", "    master: [m1, m2]", "    etcd: [m1]", "    worker: [m1, w1]"]
    if managed:
        lines.append("    loadbalancer: [lb1, lb2]")
    lines += [f"  kubernetes: {{type: {k8s}}}", f"  controlPlaneEndpoint: {{{endpoint}}}"]
    return load_text("\n".join(lines) + "\n", source="t.yaml").cluster


KH = f"address: {VIP}, externalLoadBalancer: kubexm-kh"
KN = f"address: {VIP}, externalLoadBalancer: kubexm-kn"


@dataclass
class Ctx:
    config: Cluster
    host_facts: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def hosts_with_role(self, role: str) -> list[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        if host in self.host_facts:
            return self.host_facts[host]
        return facts(self.config.host(host).address)


def steps_on(fragment: Fragment, host: str) -> list[object]:
    return [n.step for n in fragment if n.host == host]


def test_cluster_of_rejects_a_context_without_cluster() -> None:
    ctx = Ctx(cluster(KH))
    ctx.config = object()  # type: ignore[assignment]  # a wrong context on purpose
    with pytest.raises(PlanError, match="no cluster config"):
        cluster_of(ctx)


@pytest.mark.parametrize(
    ("endpoint", "hosts"),
    [
        (KH, ["lb1", "lb2"]),
        ("internalLoadbalancer: haproxy", ["w1"]),
        (f"address: {VIP}, internalLoadbalancer: kube-vip", ["m1", "m2"]),
        (f"address: {VIP}, externalLoadBalancer: external", ["m1", "m2"]),
        ("internalLoadbalancer: none", []),
    ],
    ids=["kh", "internal", "kube-vip", "external", "none"],
)
def test_lb_hosts_per_kind(endpoint: str, hosts: list[str]) -> None:
    c = cluster(endpoint)
    assert lb_hosts(c, c.lb_kind) == hosts


def test_backends_are_every_master_on_6443() -> None:
    assert [b.endpoint for b in backends(cluster(KH))] == ["10.0.0.1:6443", "10.0.0.2:6443"]


def test_systemd_mode_only_for_lb_hosts_or_kubexm_type() -> None:
    assert systemd_mode(cluster(KH, k8s="kubeadm"), "kubexm-kh")
    assert systemd_mode(cluster("internalLoadbalancer: nginx"), "nginx")
    assert not systemd_mode(cluster("internalLoadbalancer: nginx", k8s="kubeadm"), "nginx")


def test_interface_is_the_one_in_the_vip_subnet_before_the_default_route() -> None:
    ctx = Ctx(cluster(KH), {"lb1": facts("10.0.0.21", route="eth9")})
    assert interface_of(ctx, "lb1", VIP) == "ens3"
    assert interface_of(ctx, "lb1", "192.168.7.7") == "eth9"


def test_interface_unknown_is_a_plan_error() -> None:
    ctx = Ctx(cluster(KH), {"lb1": {}})
    with pytest.raises(PlanError, match="no interface in the subnet"):
        interface_of(ctx, "lb1", VIP)


def test_packages_per_family_and_offline_files(tmp_path: Path) -> None:
    folder = tmp_path / "os" / "debian-12" / "amd64"
    folder.mkdir(parents=True)
    (folder / "haproxy_1_amd64.deb").write_bytes(b"x")
    (folder / "notes.txt").write_text("not a package")
    ctx = Ctx(cluster(KN), {"lb2": facts("10.0.0.22", os_id="rocky")})
    frag = LbPackagesInstallTask(LbPlan("kubexm-kn", artifacts=tmp_path)).plan(ctx)
    assert frag is not None
    (on_lb1,) = steps_on(frag, "lb1")
    assert on_lb1 == InstallLbPackages(
        ("keepalived", "nginx", "libnginx-mod-stream"),
        "apt",
        (str(folder / "haproxy_1_amd64.deb"),),
    )
    (on_lb2,) = steps_on(frag, "lb2")
    assert isinstance(on_lb2, InstallLbPackages)
    assert (
        on_lb2.packages == ("keepalived", "nginx", "nginx-mod-stream") and on_lb2.manager == "dnf"
    )
    assert on_lb2.local_files == ()


def test_offline_without_package_files_is_a_plan_error(tmp_path: Path) -> None:
    ctx = Ctx(cluster(KH))
    with pytest.raises(PlanError, match=r"\[lb1\] offline mode is on"):
        package_files(ctx, LbPlan("kubexm-kh", artifacts=tmp_path, offline=True), "lb1")


def test_no_packages_for_static_pods_or_kube_vip() -> None:
    ctx = Ctx(cluster("internalLoadbalancer: haproxy", k8s="kubeadm"))
    assert LbPackagesInstallTask(LbPlan("haproxy")).plan(ctx) is None
    assert LbPackagesInstallTask(LbPlan("kube-vip")).plan(ctx) is None


def test_proxy_on_lb_hosts_writes_config_then_starts_haproxy() -> None:
    ctx = Ctx(cluster(KH))
    frag = LbProxyDeployTask(LbPlan("kubexm-kh")).plan(ctx)
    assert frag is not None
    write, start = steps_on(frag, "lb1")
    assert isinstance(write, WriteLbConfig) and write.tool == "haproxy"
    assert "bind 0.0.0.0:6443" in write.content and "server m2 10.0.0.2:6443 check" in write.content
    assert start == StartLbService("haproxy")
    assert frag.nodes["lb/start-haproxy@lb1"].deps == {"lb/write-haproxy-config@lb1": None}


def test_nginx_on_rhel_loads_the_stream_module_from_lib64() -> None:
    ctx = Ctx(cluster(KN), {"lb1": facts("10.0.0.21", os_id="rocky")})
    assert "/usr/lib64/nginx/modules/ngx_stream_module.so" in render_proxy(ctx, "lb1", "kubexm-kn")


def test_internal_proxy_in_kubeadm_mode_is_a_static_pod_with_its_config() -> None:
    ctx = Ctx(cluster("internalLoadbalancer: nginx", k8s="kubeadm"))
    lb = LbPlan("nginx", images={"nginx": "registry.local/nginx:1.30.1-alpine"})
    frag = LbProxyDeployTask(lb).plan(ctx)
    assert frag is not None and frag.hosts() == ["w1"]
    (step,) = steps_on(frag, "w1")
    assert isinstance(step, WriteLbManifest)
    (cfg_path, cfg), (manifest_path, manifest) = step.files
    assert cfg_path == "/etc/kubexm/nginx/nginx.conf" and "listen 127.0.0.1:6443" in cfg
    assert "load_module" not in cfg
    assert manifest_path == "/etc/kubernetes/manifests/kubexm-nginx.yaml"
    assert "image: registry.local/nginx:1.30.1-alpine" in manifest


def test_static_pod_without_an_image_is_a_plan_error() -> None:
    ctx = Ctx(cluster("internalLoadbalancer: haproxy", k8s="kubeadm"))
    with pytest.raises(PlanError, match="no container image"):
        LbProxyDeployTask(LbPlan("haproxy")).plan(ctx)


def test_keepalived_priorities_follow_host_order_with_one_router_id() -> None:
    ctx = Ctx(cluster(KH))
    frag = KeepalivedDeployTask(LbPlan("kubexm-kh", auth_pass="pw123456")).plan(ctx)
    assert frag is not None
    first, second = steps_on(frag, "lb1")[0], steps_on(frag, "lb2")[0]
    assert isinstance(first, WriteLbConfig) and isinstance(second, WriteLbConfig)
    assert "priority 150" in first.content and "priority 140" in second.content
    vrid = [line for line in first.content.splitlines() if "virtual_router_id" in line]
    assert vrid and vrid[0] in second.content
    assert f"{VIP}/32 dev ens3" in first.content and "auth_pass pw123456" in first.content
    assert "pidof haproxy" in first.scripts[0][1]
    assert steps_on(frag, "lb1")[1] == StartLbService("keepalived")


def keepalived_configs(endpoint: str) -> dict[str, str]:
    """keepalived.conf per load-balancer host as planned for ``endpoint``."""
    frag = KeepalivedDeployTask(LbPlan("kubexm-kh", auth_pass="pw")).plan(Ctx(cluster(endpoint)))
    assert frag is not None
    found = {}
    for host in ("lb1", "lb2"):
        write = steps_on(frag, host)[0]
        assert isinstance(write, WriteLbConfig)
        found[host] = write.content
    return found


def test_keepalived_default_is_multicast_with_the_router_id_of_the_cluster_name() -> None:
    for text in keepalived_configs(KH).values():
        assert f"virtual_router_id {virtual_router_id('prod')}\n" in text
        assert "unicast" not in text


def test_keepalived_custom_router_id_is_used_on_every_host() -> None:
    configs = keepalived_configs(f"{KH}, keepalived: {{virtualRouterId: 7}}")
    assert all("    virtual_router_id 7\n" in text for text in configs.values())
    assert all("unicast" not in text for text in configs.values())


def test_keepalived_unicast_sends_from_its_own_address_to_the_other_lb_hosts() -> None:
    ctx = Ctx(cluster(f"{KH}, keepalived: {{unicast: true}}"))
    task = KeepalivedDeployTask(LbPlan("kubexm-kh"))
    first, second = task.vrrp(ctx, "lb1", 0), task.vrrp(ctx, "lb2", 1)
    assert (first.unicast_src_ip, first.unicast_peers) == ("10.0.0.21", ("10.0.0.22",))
    assert (second.unicast_src_ip, second.unicast_peers) == ("10.0.0.22", ("10.0.0.21",))
    assert (first.priority, second.priority) == (150, 140)
    assert first.virtual_router_id == second.virtual_router_id == virtual_router_id("prod")
    text = keepalived_configs(f"{KH}, keepalived: {{unicast: true}}")["lb2"]
    assert "unicast_src_ip 10.0.0.22\n    unicast_peer {\n        10.0.0.21\n    }" in text


def test_unicast_addresses_use_the_internal_address_in_the_vip_family() -> None:
    c = cluster(KH)
    for host, v6 in (("lb1", "fd00::21"), ("lb2", "fd00::22")):
        c.host(host).internal_address = f"192.168.0.{v6[-2:]},{v6}"
    assert unicast_addresses(c, ["lb1", "lb2"], "lb2", "fd00::100") == ("fd00::22", ("fd00::21",))
    assert unicast_addresses(c, ["lb1", "lb2"], "lb1", VIP) == ("192.168.0.21", ("192.168.0.22",))
    c.host("lb2").internal_address = "192.168.0.22"
    with pytest.raises(PlanError, match=r"\[lb2\] has no internal address in the family"):
        unicast_addresses(c, ["lb1", "lb2"], "lb1", "fd00::100")


def test_unicast_with_one_lb_host_has_no_peers_so_keepalived_stays_multicast() -> None:
    c = cluster(KH)
    vrrp = Vrrp("lb1", "ens3", VIP, 7, 150, "pw", *unicast_addresses(c, ["lb1"], "lb1", VIP))
    assert vrrp.unicast_peers == ()
    assert "unicast" not in render_keepalived(vrrp)


def test_keepalived_plan_is_stable_across_runs() -> None:
    endpoint = f"{KH}, keepalived: {{virtualRouterId: 9, unicast: true}}"
    ctx = Ctx(cluster(endpoint))
    task = KeepalivedDeployTask(LbPlan("kubexm-kh", auth_pass="pw123456"))
    first = [(n.host, n.step.fingerprint()) for n in task.plan(ctx) or ()]
    again = [(n.host, n.step.fingerprint()) for n in task.plan(Ctx(cluster(endpoint))) or ()]
    assert first and first == again


def test_keepalived_is_skipped_for_internal_kinds() -> None:
    assert KeepalivedDeployTask(LbPlan("haproxy")).plan(Ctx(cluster(KH))) is None


def test_kube_vip_manifest_on_every_master() -> None:
    ctx = Ctx(cluster(f"address: {VIP}, internalLoadbalancer: kube-vip", k8s="kubeadm"))
    lb = LbPlan("kube-vip", images={"kube-vip": "ghcr.io/kube-vip/kube-vip:v1.0.3"})
    frag = KubeVipDeployTask(lb).plan(ctx)
    assert frag is not None and frag.hosts() == ["m1", "m2"]
    (step,) = steps_on(frag, "m2")
    assert isinstance(step, WriteLbManifest)
    assert step.files[0][0] == "/etc/kubernetes/manifests/kube-vip.yaml"
    assert 'value: "ens3"' in step.files[0][1]


def test_external_lb_checks_the_endpoint_from_every_master() -> None:
    ctx = Ctx(cluster(f"address: {VIP}, port: 8443, externalLoadBalancer: external"))
    frag = ExternalLbCheckTask(LbPlan("external")).plan(ctx)
    assert frag is not None
    assert steps_on(frag, "m1") == [CheckLbEndpoint(VIP, 8443)]
    assert frag.hosts() == ["m1", "m2"]


@pytest.mark.parametrize(
    ("version", "host", "want"),
    [
        ("v1.33.1", "m1", "/etc/kubernetes/super-admin.conf"),
        ("v1.33.1", "m2", "/etc/kubernetes/admin.conf"),
        ("v1.28.15", "m1", "/etc/kubernetes/admin.conf"),
    ],
    ids=["first-master-1.33", "other-master", "first-master-1.28"],
)
def test_kube_vip_kubeconfig_uses_super_admin_on_the_first_master_from_1_29(
    version: str, host: str, want: str
) -> None:
    c = cluster(f"address: {VIP}, internalLoadbalancer: kube-vip", k8s="kubeadm")
    c.spec.kubernetes.version = version
    assert kube_vip_kubeconfig(c, host) == want
