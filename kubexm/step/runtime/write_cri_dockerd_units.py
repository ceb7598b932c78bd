"""Write the cri-dockerd systemd units (``cri-docker.service`` and ``cri-docker.socket``,
rendered from ``templates/docker``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.runner.files import render_template
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.runtime.write_docker_units import (
    SOCKET_GROUP,
    ensure_socket_group,
    ensure_units,
    template,
)


def render_cri_dockerd_units(
    *,
    pause_image: str,
    socket_path: str = "/run/cri-dockerd.sock",
    docker_endpoint: str = "unix:///run/docker.sock",
    bin_dir: str = "/usr/local/bin",
    cni_bin_dir: str = "/opt/cni/bin",
    cni_conf_dir: str = "/etc/cni/net.d",
) -> tuple[str, str]:
    """``(cri-docker.service, cri-docker.socket)``: cri-dockerd serves the CRI on the socket
    systemd hands it, drives docker at ``docker_endpoint``, sets pod networks up with CNI and
    starts sandboxes from ``pause_image``. Raises ``KubexmError`` for a template bug."""
    values = {
        "bin_dir": bin_dir,
        "docker_endpoint": docker_endpoint,
        "cni_bin_dir": cni_bin_dir,
        "cni_conf_dir": cni_conf_dir,
        "pause_image": pause_image,
        "socket_path": socket_path,
        "socket_group": SOCKET_GROUP,
    }
    service = render_template(template("cri-docker.service.j2"), values)
    return service, render_template(template("cri-docker.socket.j2"), values)


@register_step
@dataclass(frozen=True)
class WriteCriDockerdUnits(EnsureStep):
    """End state: ``/etc/systemd/system`` holds ``cri-docker.socket`` and
    ``cri-docker.service`` with ``socket`` and ``service`` (the ``docker`` group exists);
    systemd has re-read its units. The pair is checked with ``systemd-analyze verify``
    before either is installed (``CommandError``, the old units untouched). Unchanged when
    both match.
    """

    name: ClassVar[str] = "runtime/write-cri-dockerd-units"
    title: ClassVar[str] = "Write cri-dockerd units"
    service: str
    socket: str

    async def ensure(self, host: Host) -> OpResult:
        group = await ensure_socket_group(host)
        units = {"cri-docker.socket": self.socket, "cri-docker.service": self.service}
        return combine([group, await ensure_units(host, units)])
