"""A complete cluster config for the running lab: roles, load balancer, and what the lab
machine cannot give a real cluster, said in comments and settings rather than hidden.

Hosts are taken in order: masters (also etcd), then load-balancer hosts, then workers. With
an offline bundle the config pins the component versions the bundle holds, so ``create
cluster --bundle`` finds every file.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from kubexm.errors import LabError
from kubexm.lab.layout import LabState

VIP = "10.77.0.100"  # inside the lab bridge's /24, above the hosts' addresses
CGROUP_V2_MARKER = Path("/sys/fs/cgroup/cgroup.controllers")
IPVS_MODULE_DIR = "kernel/net/netfilter/ipvs"
EXTERNAL_LBS = ("kubexm-kh", "kubexm-kn")
LB_CHOICES = ("auto", "haproxy", "nginx", "kube-vip", "none", *EXTERNAL_LBS)
# Release files whose version the config can pin, by the config key that pins it.
PINNABLE = {"containerd": "containerd", "etcd": "etcd", "kubelet": "kubernetes"}


@dataclass(frozen=True)
class LabTopology:
    """How many hosts take each role and which control-plane flavour to deploy."""

    masters: int = 1
    load_balancers: int = 0
    lb: str = "auto"
    kubernetes_type: str = "kubeadm"
    sudo_user: bool = False
    cni: str = "calico"

    def check(self, hosts: int) -> None:
        """Raise ``LabError`` when the lab cannot hold this topology."""
        if self.lb not in LB_CHOICES:
            raise LabError(
                f"unknown load balancer {self.lb}", f"use one of {', '.join(LB_CHOICES)}"
            )
        if self.lb in EXTERNAL_LBS and self.load_balancers < 1:
            raise LabError(f"{self.lb} needs load-balancer hosts", "add --lb-hosts 2")
        if self.load_balancers and self.lb not in EXTERNAL_LBS:
            raise LabError("--lb-hosts is only for kubexm-kh or kubexm-kn", "add --lb kubexm-kh")
        if self.masters < 1 or self.masters + self.load_balancers > hosts:
            raise LabError(
                f"cannot have {self.masters} masters and {self.load_balancers} load-balancer "
                f"hosts in a lab of {hosts} hosts",
                f"start more hosts: kubexm lab up {self.masters + self.load_balancers + 1}",
            )


@dataclass(frozen=True)
class MachineLimits:
    """What the lab machine's kernel lacks; both are facts of the machine, not of kubexm."""

    cgroup_v1: bool
    no_ipvs: bool

    @classmethod
    def detect(cls, kernel_release: str) -> MachineLimits:
        modules = Path("/lib/modules") / kernel_release / IPVS_MODULE_DIR
        ipvs = modules.is_dir() or Path("/proc/net/ip_vs").exists()
        return cls(cgroup_v1=not CGROUP_V2_MARKER.exists(), no_ipvs=not ipvs)


def bundle_versions(bundle: Path) -> dict[str, str]:
    """The pinnable component versions in an offline bundle's ``manifest.json``.

    Raises ``LabError`` when the bundle cannot be read or has no manifest.
    """
    try:
        with tarfile.open(bundle, "r|gz") as archive:
            for member in archive:
                stream = archive.extractfile(member) if member.name == "manifest.json" else None
                if stream is not None:
                    files = json.load(stream)["files"]
                    return {
                        PINNABLE[f["component"]]: f["version"]
                        for f in files
                        if f["component"] in PINNABLE
                    }
    except (OSError, tarfile.TarError, ValueError, KeyError, TypeError) as exc:
        raise LabError(f"cannot read the bundle {bundle}: {exc}", "pass a kubexm bundle") from exc
    raise LabError(f"{bundle} has no manifest.json", "pass a bundle built by kubexm download")


def _roles(names: list[str], topo: LabTopology) -> list[str]:
    masters = names[: topo.masters]
    lbs = names[topo.masters : topo.masters + topo.load_balancers]
    workers = names[topo.masters + topo.load_balancers :]
    lines = ["  roleGroups:", f"    master: {_flow(masters)}", f"    etcd: {_flow(masters)}"]
    lines.append(f"    worker: {_flow(workers)}")
    if lbs:
        lines.append(f"    loadbalancer: {_flow(lbs)}")
    return lines


def _endpoint(topo: LabTopology) -> list[str]:
    if topo.lb == "auto" or topo.masters == 1:
        return []
    lines = ["  controlPlaneEndpoint:"]
    if topo.lb in EXTERNAL_LBS or topo.lb == "kube-vip":
        lines.append(f"    address: {VIP}")
    key = "externalLoadBalancer" if topo.lb in EXTERNAL_LBS else "internalLoadbalancer"
    return [*lines, f"    {key}: {topo.lb}"]


def _kubernetes(topo: LabTopology, versions: dict[str, str], limits: MachineLimits) -> list[str]:
    lines = ["  kubernetes:", f"    type: {topo.kubernetes_type}"]
    if "kubernetes" in versions:
        lines.append(f"    version: v{versions['kubernetes'].removeprefix('v')}")
    if "containerd" in versions:
        lines += ["    containerRuntime:", "      type: containerd"]
        lines.append(f'      version: "{versions["containerd"]}"')
    if limits.no_ipvs:
        lines += ["    # this machine's kernel has no IPVS modules", "    kubeProxy:"]
        lines.append("      mode: iptables")
    lines += ["  etcd:", "    type: kubexm"]
    if "etcd" in versions:
        lines.append(f'    version: "{versions["etcd"]}"')
    lines += ["  network:", f"    plugin: {topo.cni}"]
    # Lab hosts are throwaway: no storage provider (and no chart to carry for one).
    return [*lines, "  storage:", "    openebs:", "      enabled: false"]


def _preflight(versions: dict[str, str], limits: MachineLimits) -> list[str]:
    skips: list[str] = []
    notes: list[str] = []
    if limits.cgroup_v1:
        skips.append("cgroup")
        notes.append("this machine runs cgroup v1, which the lab hosts share")
    if "containerd" in versions and versions["containerd"].split(".")[0] == "1":
        skips.append("runtime-version")
        notes.append(f"the bundle carries containerd {versions['containerd']}")
    if not skips:
        return []
    lines = ["  preflight:"] + [f"    # skipped: {note}" for note in notes]
    return [*lines, f"    skipChecks: {_flow(skips)}"]


def lab_cluster_yaml(
    state: LabState,
    topo: LabTopology,
    *,
    versions: dict[str, str] | None = None,
    limits: MachineLimits | None = None,
) -> str:
    """The cluster config for the lab hosts of ``state`` (JSON-quoted scalars are valid YAML).

    Raises ``LabError`` when the lab has too few hosts for ``topo``.
    """
    topo.check(len(state.hosts))
    versions = versions or {}
    limits = limits or MachineLimits(cgroup_v1=False, no_ipvs=False)
    lines = ["apiVersion: kubexm.io/v1alpha1", "kind: Cluster", "metadata:", "  name: kubexm-lab"]
    lines += ["spec:", "  hosts:"]
    for host in state.hosts:
        lines += [f"    - name: {host.name}", f"      address: {host.address}"]
        lines += [f"      internalAddress: {host.address}", f"      port: {host.port}"]
        if topo.sudo_user:
            lines += [f"      user: {host.sudo_user}"]
            lines += [f"      sudoPassword: {json.dumps(host.sudo_password)}"]
        else:
            lines += ["      user: root"]
        lines += [f"      privateKeyPath: {json.dumps(host.root_key_path)}"]
    lines += _roles([h.name for h in state.hosts], topo)
    lines += _endpoint(topo) + _kubernetes(topo, versions, limits) + _preflight(versions, limits)
    return "\n".join(lines) + "\n"


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"
