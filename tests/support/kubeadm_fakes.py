"""Shared pieces of the kubeadm step tests: a step context whose cache behaves like a run's
(one pipeline cache shared by every host), and fake kubeadm/kubectl on a fake host."""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass, field

from fakeconn import OK, FakeConnection, FakeSystemd, Unit
from node_api_fake import NodeApi

from kubexm.cache import Scope, ScopedCache
from kubexm.connector.base import Result
from kubexm.plan import Executable
from kubexm.step.kubeadm.render import ClusterSettings, EtcdSettings, NodeSettings

KUBEADM = "/usr/local/bin/kubeadm"
KUBECTL = "/usr/local/bin/kubectl"
TOKEN = "k3x9ab.0123456789abcdef"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
#: the ``kubeadm init phase`` commands after the control plane is up, with their sub-phases
PHASES = {
    "upload-config": ("all", "kubeadm", "kubelet"),
    "mark-control-plane": ("",),
    "bootstrap-token": ("",),
    "kubelet-finalize": ("all", "enable-client-cert-rotation"),
    "addon": ("all", "coredns", "kube-proxy"),
}


@dataclass
class Ctx:
    """A ``StepContext`` over one fake host; ``pipeline`` is shared like a run's cache."""

    conn: FakeConnection = field(default_factory=lambda: FakeConnection("m1"))
    pipeline: ScopedCache = field(default_factory=lambda: ScopedCache(Scope.PIPELINE))
    dry_run: bool = False

    def __post_init__(self) -> None:
        self._cache = self.pipeline.child(Scope.TASK)

    @property
    def host(self) -> str:
        return self.conn.host

    @property
    def facts(self) -> dict[str, object]:
        return {}

    @property
    def cache(self) -> ScopedCache:
        return self._cache

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("test.kubeadm"), {})


def on_host(name: str, pipeline: ScopedCache) -> Ctx:
    """Another host of the same run."""
    return Ctx(FakeConnection(name), pipeline)


def with_systemd(ctx: Ctx, *units: str) -> FakeSystemd:
    """``systemctl`` on the fake host knowing ``units`` (stopped, disabled)."""
    systemd = FakeSystemd({u: Unit() for u in units}).install(ctx.conn)
    ctx.conn.script("systemd-analyze verify", OK)
    return systemd


async def converge(step: Executable, ctx: Ctx) -> None:
    """check says work is due and changes nothing; run does it; check then finds it done."""
    before = ctx.conn.snapshot()
    assert await step.check(ctx) is False
    assert ctx.conn.snapshot() == before, "check changed the host"
    await step.run(ctx)
    assert await step.check(ctx) is True


@dataclass
class FakeCluster:
    """What kubeadm and kubectl see on a master: the registered nodes, the apiserver state,
    and every config file kubeadm was handed (read at the moment it ran)."""

    nodes: set[str] = field(default_factory=set)
    up: bool = False
    configs: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    inits: int = 0
    joins: int = 0
    fail_join: bool = False
    #: ``namespace/kind/name`` of the objects kubeadm made through the apiserver
    objects: set[str] = field(default_factory=set)
    control_planes: set[str] = field(default_factory=set)
    phases: list[str] = field(default_factory=list)
    #: the registered Node objects, labelled and tainted through kubectl
    api: NodeApi = field(default_factory=NodeApi)

    def install(self, fake: FakeConnection) -> FakeCluster:
        fake.on(KUBEADM, self.kubeadm)
        fake.on(KUBECTL, self.kubectl)
        # kubectl as the runner's helper calls it: found on PATH
        fake.script(
            r"^PATH=\S+ kubectl ", lambda cmd, f: self.kubectl(shlex.split(cmd)[1:], f), regex=True
        )
        return self

    def _config(self, argv: list[str], fake: FakeConnection) -> str:
        path = next(a for a in argv if a.startswith("--config=")).split("=", 1)[1]
        text = fake.text(path)
        assert fake.files[path].mode == 0o600, "a kubeadm config is root-only"
        self.configs.append(text)
        return text

    def kubeadm(self, argv: list[str], fake: FakeConnection) -> Result:
        verb = argv[1:3]
        if verb[0] == "init" and "phase" not in argv:
            return self._init(argv, fake)
        if verb[0] == "init":
            return self._phase(argv, fake)
        if verb[0] == "join":
            return self._join(argv, fake)
        if verb == ["token", "create"]:
            self.tokens.append(TOKEN)
            return Result(0, f"{TOKEN}\n", "")
        if verb == ["token", "delete"]:
            self.deleted.append(argv[3])
            return Result(0, f"bootstrap token {argv[3]!r} deleted\n", "")
        raise AssertionError(f"unexpected kubeadm call {argv}")

    def _init(self, argv: list[str], fake: FakeConnection) -> Result:
        text = self._config(argv, fake)
        self.inits += 1
        self.up = True
        self.nodes.add(fake.host)
        fake.write("/etc/kubernetes/admin.conf", "admin-kubeconfig\n", mode=0o600)
        fake.write("/etc/kubernetes/kubelet.conf", "kubelet\n", mode=0o600)
        for phase in ("upload-config", "mark-control-plane", "bootstrap-token", "addon"):
            self._apply(phase, "all", text, fake)
        return OK

    def half_init(self, fake: FakeConnection) -> None:
        """What an init killed after the control plane came up leaves: files, no objects."""
        self.up = True
        self.nodes.add(fake.host)
        fake.write("/etc/kubernetes/admin.conf", "admin-kubeconfig\n", mode=0o600)
        fake.write("/etc/kubernetes/kubelet.conf", "kubelet\n", mode=0o600)

    def _phase(self, argv: list[str], fake: FakeConnection) -> Result:
        """``kubeadm init phase <name> [sub] --config=F``, refused before the control plane
        answers like kubeadm's own phases."""
        words = [a for a in argv[3:] if not a.startswith("-")]
        text = self._config(argv, fake)
        if words == ["upload-certs"]:
            return Result(0, "[upload-certs] done\n", "")
        if not self.up:
            return Result(1, "", "error execution phase: the apiserver does not answer\n")
        sub = words[1] if len(words) > 1 else ""
        assert sub in PHASES[words[0]], argv
        self.phases.append(" ".join(words))
        self._apply(words[0], sub, text, fake)
        return OK

    def _apply(self, phase: str, sub: str, text: str, fake: FakeConnection) -> None:
        if phase == "upload-config":
            self.objects |= {"kube-system/configmap/kubeadm-config"}
        elif phase == "mark-control-plane":
            self.control_planes.add(fake.host)
        elif phase == "bootstrap-token":
            self.objects.add("kube-public/configmap/cluster-info")
        elif phase == "addon" and sub in ("all", "coredns"):
            self.objects.add("kube-system/deployment/coredns")
        proxy_off = "addon/kube-proxy" in text or "disabled: true" in text
        if phase == "addon" and sub in ("all", "kube-proxy") and not proxy_off:
            self.objects.add("kube-system/daemonset/kube-proxy")

    def _join(self, argv: list[str], fake: FakeConnection) -> Result:
        text = self._config(argv, fake)
        if self.fail_join:
            return Result(1, "", "error execution phase preflight\n")
        self.joins += 1
        self.nodes.add(fake.host)
        fake.write("/etc/kubernetes/kubelet.conf", "kubelet\n", mode=0o600)
        if "controlPlane:" in text:
            fake.write("/etc/kubernetes/admin.conf", "admin-kubeconfig\n", mode=0o600)
        return OK

    def kubectl(self, argv: list[str], fake: FakeConnection) -> Result:
        if not self.up:
            return Result(1, "", "The connection to the server was refused\n")
        if "--raw=/readyz" in argv or ("--raw" in argv and "/readyz" in argv):
            return Result(0, "ok", "")
        if self.api.handles(argv):
            for name in self.nodes:
                self.api.register(name)
            return self.api.call(argv)
        if argv[-4:] == ["get", "nodes", "-o", "name"]:
            return Result(0, "".join(f"node/{n}\n" for n in sorted(self.nodes)), "")
        if argv[-6:] == ["get", "nodes", "-l", CONTROL_PLANE, "-o", "name"]:
            return Result(0, "".join(f"node/{n}\n" for n in sorted(self.control_planes)), "")
        if "-n" in argv and argv[-2:] == ["-o", "name"]:
            namespace = argv[argv.index("-n") + 1]
            kind, name = argv[-4:-2]
            if f"{namespace}/{kind}/{name}" in self.objects:
                return Result(0, f"{kind}/{name}\n", "")
            return Result(1, "", f'Error from server (NotFound): {kind} "{name}" not found\n')
        raise AssertionError(f"unexpected kubectl call {argv}")


def secrets_in(text: str) -> bool:
    """True when ``text`` carries the fake token's secret half or a 64-hex key."""
    return TOKEN.split(".")[1] in text or bool(re.search(r"\b[0-9a-f]{64}\b", text))


def settings(api_minor: int = 36) -> ClusterSettings:
    """Hand-made cluster settings (kept independent of the flag tables)."""
    return ClusterSettings(
        kubernetes_version=f"1.{api_minor}.2",
        cluster_name="demo",
        endpoint="lb.kubexm.local:6443",
        pod_subnet="10.244.0.0/16",
        service_subnet="10.96.0.0/12",
        dns_domain="cluster.local",
        cert_sans=("lb.kubexm.local", "10.0.0.100", "10.0.0.11", "10.0.0.12"),
        image_repository="registry.k8s.io",
        etcd=EtcdSettings(
            True,
            ("https://10.0.0.11:2379",),
            "/etc/kubernetes/pki/etcd/ca.crt",
            "/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "/etc/kubernetes/pki/apiserver-etcd-client.key",
        ),
        extra_args={"kube-apiserver": {"profiling": "false", "event-ttl": "1h"}},
        kubelet={"cgroupDriver": "systemd", "readOnlyPort": 0},
        kube_proxy={"mode": "ipvs", "clusterCIDR": "10.244.0.0/16"},
        cri_socket="unix:///run/containerd/containerd.sock",
    )


MASTER = NodeSettings("m1", "10.0.0.11", True, taints=())
MASTER2 = NodeSettings("m2", "10.0.0.12", True)
WORKER = NodeSettings("w1", "10.0.0.21", False, kubelet_args={"node-ip": "10.0.0.21"})
