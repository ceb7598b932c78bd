"""What the kube-apiserver load balancers read: haproxy.cfg, nginx.conf, keepalived.conf, the
keepalived check script, the node-local static pod and the kube-vip manifest.

Rendering is pure (values in, text out) so golden files pin every variant. The programs'
config paths and validation commands are in ``tools``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import jinja2

from kubexm.common.paths import MANIFESTS_DIR
from kubexm.errors import KubexmError

HEALTH_PORT = 8081
CHECK_SCRIPT = "/etc/keepalived/kubexm-check-lb.sh"
#: The priority of the first load-balancer host; each later host gets ``PRIORITY_STEP`` less.
TOP_PRIORITY = 150
PRIORITY_STEP = 10
#: keepalived's PASS authentication uses only the first 8 characters of the password.
AUTH_PASS_LENGTH = 8


@dataclass(frozen=True)
class StaticPodKind:
    """The node-local proxy as a static pod: manifest, host config path, mount in the image."""

    manifest: str
    config_path: str
    mount_path: str


STATIC_PODS: Mapping[str, StaticPodKind] = {
    "haproxy": StaticPodKind(
        f"{MANIFESTS_DIR}/kubexm-haproxy.yaml",
        "/etc/kubexm/haproxy/haproxy.cfg",
        "/usr/local/etc/haproxy/haproxy.cfg",
    ),
    "nginx": StaticPodKind(
        f"{MANIFESTS_DIR}/kubexm-nginx.yaml",
        "/etc/kubexm/nginx/nginx.conf",
        "/etc/nginx/nginx.conf",
    ),
}


@dataclass(frozen=True)
class Backend:
    """One kube-apiserver behind the load balancer."""

    name: str
    address: str
    port: int

    @property
    def endpoint(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Vrrp:
    """One host's VRRP settings; ``unicast_peers`` empty means multicast adverts."""

    router_id: str
    interface: str
    vip: str
    virtual_router_id: int
    priority: int
    auth_pass: str
    unicast_src_ip: str = ""
    unicast_peers: tuple[str, ...] = ()


def virtual_router_id(cluster_name: str) -> int:
    """A VRRP router id in 1..255 that is the same for every run of the same cluster."""
    digest = hashlib.sha256(cluster_name.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 255 + 1


def priority(index: int) -> int:
    """The VRRP priority of the ``index``-th load-balancer host (0 = first = highest)."""
    return max(1, TOP_PRIORITY - PRIORITY_STEP * index)


def _template(name: str) -> jinja2.Template:
    source = resources.files("kubexm").joinpath(f"templates/lb/{name}").read_text("utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.from_string(source)


def render(name: str, **values: object) -> str:
    """Render ``templates/lb/<name>`` with ``values``; a missing value is a KubexmError."""
    try:
        return _template(name).render(**values)
    except jinja2.TemplateError as exc:
        raise KubexmError(
            f"cannot render load-balancer template {name}: {exc}",
            hint="a kubexm bug: report it with the config that triggered it",
        ) from exc


def _prefix(address: str) -> int:
    return 128 if ":" in address else 32


def render_haproxy(backends: Sequence[Backend], *, bind: str, port: int, purpose: str) -> str:
    """haproxy.cfg: a TCP frontend on ``bind:port`` over ``backends`` with health checks."""
    return render(
        "haproxy.cfg.j2",
        backends=backends,
        bind=bind,
        port=port,
        purpose=purpose,
        health_port=HEALTH_PORT,
    )


def render_nginx(
    backends: Sequence[Backend],
    *,
    bind: str,
    port: int,
    purpose: str,
    stream_module: str | None,
    pid_file: str | None,
) -> str:
    """nginx.conf: a ``stream`` (L4) proxy on ``bind:port`` over ``backends``.

    ``stream_module`` is loaded first when the build has the module as a shared object
    (Debian's nginx-light); the upstream image has it built in (None).
    """
    return render(
        "nginx.conf.j2",
        backends=backends,
        bind=bind,
        port=port,
        purpose=purpose,
        stream_module=stream_module,
        pid_file=pid_file,
        health_port=HEALTH_PORT,
    )


def render_keepalived(vrrp: Vrrp) -> str:
    """keepalived.conf: one VRRP instance holding the VIP while the check script succeeds."""
    return render(
        "keepalived.conf.j2",
        **{f: getattr(vrrp, f) for f in Vrrp.__dataclass_fields__},
        vip_prefix=_prefix(vrrp.vip),
        check_script=CHECK_SCRIPT,
    )


def render_check_script(process: str) -> str:
    """The keepalived track script: exit 0 while a process called ``process`` runs."""
    return render("check-lb.sh.j2", process=process)


def render_static_pod(kind: str, image: str, config: str) -> str:
    """The static pod running ``kind`` (haproxy/nginx) with its config file mounted; the
    annotation carries the config's sha256 so kubelet recreates the pod when it changes."""
    pod = STATIC_PODS[kind]
    return render(
        "lb-static-pod.yaml.j2",
        kind=kind,
        pod_name=f"kubexm-{kind}",
        image=image,
        config_path=pod.config_path,
        mount_path=pod.mount_path,
        config_sha256=hashlib.sha256(config.encode()).hexdigest(),
        health_port=HEALTH_PORT,
    )


def render_kube_vip(image: str, *, vip: str, port: int, interface: str, kubeconfig: str) -> str:
    """The kube-vip static pod: ARP mode, control-plane VIP with leader election."""
    return render(
        "kube-vip.yaml.j2",
        image=image,
        vip=vip,
        vip_prefix=_prefix(vip),
        port=port,
        interface=interface,
        kubeconfig=kubeconfig,
    )
