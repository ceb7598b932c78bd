"""What the binary-mode components read: systemd units, config documents, audit policy,
encryption config, RBAC.

One unit template serves every component; what differs (description, ordering, restart
policy) is the ``UNITS`` table. Rendering is pure: values in, text out, so golden files pin
each component's unit for each Kubernetes minor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from kubexm.common.paths import BIN_DIR
from kubexm.errors import KubexmError
from kubexm.step.kubernetes.flags import (
    APISERVER,
    CONTROLLER_MANAGER,
    KUBE_PROXY,
    KUBELET,
    SCHEDULER,
)
from kubexm.util.hashing import sha256_text
from kubexm.util.yamlio import dump_yaml

_DOCS = "https://kubernetes.io/docs/reference/command-line-tools-reference"


@dataclass(frozen=True)
class UnitSpec:
    """How one component runs under systemd (besides its flags)."""

    description: str
    after: tuple[str, ...] = ()
    restart: str = "on-failure"
    restart_sec: str = "5s"
    exec_start_pre: tuple[str, ...] = ()
    # The kubelet must come back however often it fails (no start limit).
    start_limit_interval: int | None = None


_AFTER_APISERVER = ("kube-apiserver.service",)
UNITS: Mapping[str, UnitSpec] = {
    APISERVER: UnitSpec("Kubernetes API Server", after=("etcd.service",)),
    CONTROLLER_MANAGER: UnitSpec("Kubernetes Controller Manager", after=_AFTER_APISERVER),
    SCHEDULER: UnitSpec("Kubernetes Scheduler", after=_AFTER_APISERVER),
    KUBELET: UnitSpec(
        "Kubernetes node agent (kubelet)",
        restart="always",
        restart_sec="10s",
        start_limit_interval=0,
    ),
    KUBE_PROXY: UnitSpec(
        "Kubernetes network proxy",
        exec_start_pre=("-/sbin/modprobe br_netfilter", "-/sbin/modprobe ip_vs"),
    ),
}


def unit_name(component: str) -> str:
    """``kube-apiserver`` -> ``kube-apiserver.service``."""
    return f"{component}.service"


def systemd_arg(name: str, value: str) -> str:
    """``--name=value`` as one word of a systemd ``ExecStart=`` line.

    systemd expands ``%`` specifiers and ``$`` variables and splits on blanks, so those are
    escaped and a value with blanks or quotes is double-quoted.
    """
    text = value.replace("\\", "\\\\").replace("%", "%%").replace("$", "$$")
    if any(c in text for c in " \t\"'"):
        text = '"' + text.replace('"', '\\"') + '"'
    return f"--{name}={text}"


def _template(name: str) -> jinja2.Template:
    source = resources.files("kubexm").joinpath(f"templates/kubernetes/{name}").read_text("utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.from_string(source)


def render(template: str, **values: object) -> str:
    """Render ``templates/kubernetes/<template>`` with ``values`` (StrictUndefined).

    Raises ``KubexmError`` when a value is missing (a kubexm bug, never a user error).
    """
    try:
        return _template(template).render(**values)
    except jinja2.TemplateError as exc:
        raise KubexmError(
            f"cannot render kubernetes template {template}: {exc}",
            hint="a kubexm bug: report it with the config that triggered it",
        ) from exc


def render_unit(
    component: str, version: str, args: Mapping[str, str], *, after: Sequence[str] = ()
) -> str:
    """The systemd unit running ``/usr/local/bin/<component>`` with ``args`` (in order).

    ``after`` adds units to start after and want (the kubelet's container runtime).
    """
    spec = UNITS[component]
    return render(
        "kube-component.service.j2",
        component=component,
        version=version,
        description=spec.description,
        docs=f"{_DOCS}/{component}/",
        after=[*spec.after, *after],
        wants=list(after),
        start_limit_interval=spec.start_limit_interval,
        exec_start_pre=spec.exec_start_pre,
        bin_dir=BIN_DIR,
        args=[systemd_arg(k, v) for k, v in args.items()],
        restart=spec.restart,
        restart_sec=spec.restart_sec,
    )


def render_document(doc: Mapping[str, Any], what: str) -> str:
    """A config document as YAML under a one-line "managed by kubexm" header."""
    return f"# Managed by kubexm: {what}. Changes are overwritten.\n" + dump_yaml(dict(doc))


def render_audit_policy(content: str | None) -> str:
    """The configured policy text, else kubexm's default policy (metadata for secrets)."""
    if content:
        return content if content.endswith("\n") else content + "\n"
    return render("audit-policy.yaml.j2")


def render_encryption_config(secret: str, key_name: str = "key1") -> str:
    """An EncryptionConfiguration encrypting Secrets with ``secret`` (base64 of 32 bytes)."""
    return render("encryption-config.yaml.j2", secret=secret, key_name=key_name)


def render_rbac(admin_group: str, apiserver_kubelet_user: str, bootstrap_group: str) -> str:
    """The RBAC objects kubeadm would create: apiserver -> kubelet API, the admin group as
    cluster-admin, node bootstrap and client-certificate auto-approval."""
    return render(
        "rbac.yaml.j2",
        admin_group=admin_group,
        apiserver_kubelet_user=apiserver_kubelet_user,
        bootstrap_group=bootstrap_group,
    )


def settings_digest(*texts: str) -> str:
    """A digest of everything a running service must be restarted for."""
    return sha256_text("\0".join(texts))
