"""OS preparation tasks: pure planning from config and facts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.errors import PlanError
from kubexm.plan import Fragment
from kubexm.resource.packages import load_package_table, package_names
from kubexm.runtime.workdir import WorkDir
from kubexm.step.os import (
    InstallLocalOsPackages,
    InstallOsPackages,
    WriteChronyConfig,
    WriteHostsBlock,
    WriteKernelModules,
    WriteSelinuxMode,
    WriteSysctl,
)
from kubexm.task.os import (
    HostsConfigureTask,
    KernelConfigureTask,
    OSPackagesInstallTask,
    TimeSyncConfigureTask,
    chrony_step,
    cluster_of,
    hosts_entries,
    kernel_modules,
    local_package_files,
    sysctl_params,
    time_servers,
)

DEBIAN = {"os_id": "debian", "os_version": "12", "arch": "amd64", "os_family": "debian",
          "package_manager": "apt", "selinux": "absent"}  # fmt: skip
ROCKY = {"os_id": "rocky", "os_version": "9", "arch": "amd64", "os_family": "rhel",
         "package_manager": "dnf", "selinux": "enforcing"}  # fmt: skip


def cluster(*, spec: str = "", masters: int = 1) -> Cluster:
    names = ["m1", "m2", "m3"][:masters]
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata: {name: t}", "spec:"]
    lines += ["  hosts:"]
    hosts = [*((n, f"10.0.0.{i + 1}") for i, n in enumerate(names)), ("w1", "10.0.0.9")]
    hosts.append(("r1", "10.0.0.20"))
    lines += [f"    - {{name: {n}, address: {a}, privateKeyPath: /k}}" for n, a in hosts]
    lines += ["  roleGroups:", f"    master: [{', '.join(names)}]", "    etcd: [m1]"]
    lines += ["    worker: [w1]", "    registry: [r1]"]
    lines += [f"  {line}" for line in spec.splitlines()]
    return load_text("\n".join(lines) + "\n", source="t.yaml").cluster


@dataclass
class Ctx:
    config: Cluster
    host_facts: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def hosts_with_role(self, role: str) -> list[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return self.host_facts.get(host, DEBIAN)


@dataclass
class WorkCtx(Ctx):
    root: Path = Path("/nonexistent")

    @property
    def work_dir(self) -> WorkDir:
        return WorkDir(self.root)


def steps_on(fragment: Fragment, host: str) -> list[object]:
    return [n.step for n in fragment if n.host == host]


def test_cluster_of_rejects_a_context_without_cluster() -> None:
    ctx = Ctx(cluster())
    ctx.config = object()  # type: ignore[assignment]  # a wrong context on purpose
    with pytest.raises(PlanError, match="no cluster config"):
        cluster_of(ctx)


def test_hosts_entries_list_nodes_endpoint_registry_and_extras() -> None:
    c = cluster(spec="extra:\n  hosts: [{ip: 10.9.9.9, hostnames: [a.example, b.example]}]")
    entries = hosts_entries(c, "w1")
    assert ("10.0.0.1", ("m1", "m1.cluster.local")) in entries
    assert ("10.0.0.9", ("w1", "w1.cluster.local")) in entries
    assert ("10.9.9.9", ("a.example", "b.example")) in entries
    endpoint = [e for e in hosts_entries(c, "w1") if e[1] == ("lb.kubexm.local",)]
    assert endpoint == [("10.0.0.1", ("lb.kubexm.local",))]
    assert ("10.0.0.20", ("registry.kubexm.io",)) in hosts_entries(c, "w1")


def test_hosts_entries_point_workers_at_their_local_load_balancer() -> None:
    c = cluster(masters=3)
    assert ("127.0.0.1", ("lb.kubexm.local",)) in hosts_entries(c, "w1")
    assert ("10.0.0.2", ("lb.kubexm.local",)) in hosts_entries(c, "m2")


@pytest.mark.parametrize(
    ("registry", "names"),
    [
        ("reg.corp:5000", ("registry.kubexm.io", "reg.corp")),
        ("reg.corp", ("registry.kubexm.io", "reg.corp")),
        ("10.0.0.20:5000", ("registry.kubexm.io",)),
        ("[fd00::20]:5000", ("registry.kubexm.io",)),
    ],
    ids=["name-port", "name", "ipv4", "ipv6"],
)
def test_hosts_entries_add_a_private_registry_name_but_not_an_address(
    registry: str, names: tuple[str, ...]
) -> None:
    c = cluster(spec=f"registry:\n  mirroring: {{privateRegistry: '{registry}'}}")
    assert ("10.0.0.20", names) in hosts_entries(c, "m1")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", ("overlay", "br_netfilter", "nf_conntrack", "ip_vs", "ip_vs_rr", "ip_vs_wrr",
              "ip_vs_sh")),
        ("kubernetes:\n  kubeProxy: {mode: iptables}", ("overlay", "br_netfilter",
                                                        "nf_conntrack")),
        ("kubernetes:\n  kubeProxy: {mode: iptables}\nsystem:\n  modules: [overlay, dm_thin]",
         ("overlay", "br_netfilter", "nf_conntrack", "dm_thin")),
    ],
    ids=["ipvs-default", "iptables", "extra-deduplicated"],
)  # fmt: skip
def test_kernel_modules_follow_proxy_mode_and_config(spec: str, expected: tuple[str]) -> None:
    assert kernel_modules(cluster(spec=spec)) == expected


def test_sysctl_params_apply_corrections_and_config_wins() -> None:
    params = dict(sysctl_params(cluster(spec="system:\n  sysctlParams: {vm.swappiness: 10}")))
    assert params["vm.overcommit_memory"] == "1"
    assert params["kernel.pid_max"] == "4194304"
    assert params["vm.swappiness"] == "10"
    assert "net.ipv4.tcp_tw_recycle" not in params
    assert "net.ipv6.conf.all.forwarding" not in params


def test_sysctl_params_forward_ipv6_for_dual_stack_pods() -> None:
    dual = "kubePodsCIDR: '10.244.0.0/16,fd00:10:244::/56'"
    dual += ", kubeServiceCIDR: '10.96.0.0/12,fd00:10:96::/112'"
    c = cluster(spec=f"network: {{{dual}}}")
    assert dict(sysctl_params(c))["net.ipv6.conf.all.forwarding"] == "1"


def test_hosts_task_plans_hostname_then_block_on_every_host() -> None:
    fragment = HostsConfigureTask().build(Ctx(cluster()))
    assert len(fragment) == 6
    block = steps_on(fragment, "w1")[1]
    assert isinstance(block, WriteHostsBlock)


def test_kernel_task_adds_selinux_only_on_rhel_hosts() -> None:
    fragment = KernelConfigureTask().build(Ctx(cluster(), {"m1": ROCKY}))
    assert any(isinstance(s, WriteSelinuxMode) for s in steps_on(fragment, "m1"))
    assert not any(isinstance(s, WriteSelinuxMode) for s in steps_on(fragment, "w1"))
    names = [type(s).__name__ for s in steps_on(fragment, "w1")]
    assert names.index("WriteKernelModules") < names.index("WriteSysctl")
    assert isinstance(steps_on(fragment, "w1")[3], WriteKernelModules | WriteSysctl)


def test_packages_task_online_uses_family_names_and_extras() -> None:
    c = cluster(spec="system:\n  rpms: [nfs-utils]")
    fragment = OSPackagesInstallTask().build(Ctx(c, {"m1": ROCKY}))
    step = steps_on(fragment, "m1")[0]
    assert isinstance(step, InstallOsPackages)
    assert step.manager == "dnf"
    assert "conntrack-tools" in step.packages and "nfs-utils" in step.packages
    debian = steps_on(fragment, "w1")[0]
    assert isinstance(debian, InstallOsPackages) and "conntrack" in debian.packages


def test_packages_task_goes_offline_when_package_files_are_present(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts" / "os" / "debian-12" / "amd64"
    folder.mkdir(parents=True)
    base = package_names("debian", load_package_table()["base"])
    for name in base:
        (folder / f"{name}_1_amd64.deb").write_bytes(b"x")
    (folder / "README").write_text("not a package")
    ctx = WorkCtx(cluster(), root=tmp_path)

    debs = sorted(folder / f"{name}_1_amd64.deb" for name in base)
    assert local_package_files(ctx, DEBIAN) == debs
    step = steps_on(OSPackagesInstallTask().build(ctx), "w1")[0]
    assert isinstance(step, InstallLocalOsPackages)
    assert step.files == tuple(debs)


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (DEBIAN, "offline mode is on but this machine holds no OS package files"),
        ({**DEBIAN, "package_manager": "none"}, "no package manager known"),
    ],
    ids=["offline-without-files", "no-package-manager"],
)
def test_packages_task_refuses_what_it_cannot_install(
    facts: Mapping[str, object], message: str
) -> None:
    c = cluster(spec="global: {offlineMode: true}")
    with pytest.raises(PlanError, match=message):
        OSPackagesInstallTask().build(Ctx(c, {"m1": facts}))


def test_packages_task_refuses_offline_rpm_hosts(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts" / "os" / "rocky-9" / "amd64"
    folder.mkdir(parents=True)
    (folder / "socat-1.el9.x86_64.rpm").write_bytes(b"x")
    with pytest.raises(PlanError, match="needs apt"):
        OSPackagesInstallTask().build(WorkCtx(cluster(), {"m1": ROCKY}, root=tmp_path))


def test_time_servers_default_to_the_first_master() -> None:
    assert time_servers(cluster()) == (["m1"], [])


def test_time_task_makes_a_cluster_server_and_clients() -> None:
    c = cluster(spec="system:\n  ntpServers: [m1, pool.ntp.org]")
    server, client = chrony_step(c, "m1", "debian"), chrony_step(c, "w1", "debian")
    assert server == WriteChronyConfig(
        ("pool.ntp.org",), "debian", allow=("10.0.0.9", "10.0.0.20"), serve=True
    )
    assert client == WriteChronyConfig(("10.0.0.1",), "debian")


def test_time_task_uses_upstream_servers_for_everyone() -> None:
    c = cluster(spec="system:\n  ntpServers: [pool.ntp.org]")
    assert chrony_step(c, "m1", "rhel") == WriteChronyConfig(("pool.ntp.org",), "rhel")


def test_time_task_is_skipped_with_skip_configure_os() -> None:
    ctx = Ctx(cluster(spec="system: {skipConfigureOS: true}"))
    assert TimeSyncConfigureTask().plan(ctx) is None
    assert len(TimeSyncConfigureTask().plan(Ctx(cluster())) or Fragment()) == 6


def test_packages_task_names_the_packages_the_local_files_lack(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts" / "os" / "debian-12" / "amd64"
    folder.mkdir(parents=True)
    (folder / "socat_1_amd64.deb").write_bytes(b"x")
    ctx = WorkCtx(cluster(spec="global: {offlineMode: true}"), root=tmp_path)
    with pytest.raises(PlanError, match=r"debian-12/amd64 in .* lack conntrack, ipset") as caught:
        OSPackagesInstallTask().build(ctx)
    assert "chrony" in caught.value.message


def test_packages_task_offline_without_files_names_the_release() -> None:
    c = cluster(spec="global: {offlineMode: true}")
    with pytest.raises(PlanError, match="no OS package files for debian-12/amd64"):
        OSPackagesInstallTask().build(Ctx(c, {"m1": DEBIAN}))
