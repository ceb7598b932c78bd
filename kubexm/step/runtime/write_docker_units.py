"""Write the docker systemd units (``docker.service`` and ``docker.socket``, rendered from
``templates/docker``) and the ``docker`` group their socket belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.criconfig import DOCKER_DAEMON_JSON
from kubexm.runner.files import get_file_state, render_template
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import UNIT_DIR, ensure_unit
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.hashing import sha256_text
from kubexm.util.shell import quote

SOCKET_GROUP = "docker"
_VERIFY_DIR = "/run/kubexm/unit-check"


def template(name: str) -> str:
    """The text of ``templates/docker/<name>``."""
    return resources.files("kubexm").joinpath(f"templates/docker/{name}").read_text("utf-8")


def render_docker_units(
    *,
    socket_path: str,
    limit_nofile: int,
    bin_dir: str = "/usr/local/bin",
    config_path: str = DOCKER_DAEMON_JSON,
    containerd_socket: str = "/run/containerd/containerd.sock",
) -> tuple[str, str]:
    """``(docker.service, docker.socket)``: dockerd takes its API socket from systemd
    (``-H fd://``), uses the separately run containerd, Delegate=yes and KillMode=process (a
    docker restart leaves containers alone). Raises ``KubexmError`` for a template bug."""
    values = {
        "bin_dir": bin_dir,
        "config_path": config_path,
        "containerd_socket": containerd_socket,
        "limit_nofile": limit_nofile,
        "socket_path": socket_path,
        "socket_group": SOCKET_GROUP,
    }
    service = render_template(template("docker.service.j2"), values)
    return service, render_template(template("docker.socket.j2"), values)


async def ensure_socket_group(host: Host, group: str = SOCKET_GROUP) -> OpResult:
    """A system group ``group`` exists (systemd refuses a socket whose group is unknown)."""
    if await host.test(f"getent group {quote(group)} >/dev/null"):
        return OpResult.unchanged(f"group {group} exists")
    return await host.execute(f"add group {group}", f"groupadd --system {quote(group)}")


async def ensure_units(host: Host, units: Mapping[str, str]) -> OpResult:
    """``/etc/systemd/system`` holds every unit of ``units`` (name -> text); systemd re-reads
    its units after a change. Units that name each other (a service and its socket) are
    verified together by ``systemd-analyze verify`` before any is installed, so a broken pair
    never lands (``CommandError``, the old units untouched). Unchanged when all match."""
    stale = []
    for unit, text in units.items():
        state = await get_file_state(host, f"{UNIT_DIR}/{unit}")
        if state.kind != "file" or state.sha256 != sha256_text(text) or state.mode != 0o644:
            stale.append(unit)
    if stale and not host.dry_run:
        await _verify_together(host, units)
    return combine([await ensure_unit(host, u, t, verify=False) for u, t in units.items()])


async def _verify_together(host: Host, units: Mapping[str, str]) -> None:
    await host.run(f"rm -rf -- {_VERIFY_DIR} && mkdir -p -m 700 -- {_VERIFY_DIR}")
    for unit, text in units.items():
        await host.put(text.encode(), f"{_VERIFY_DIR}/{unit}", mode=0o644)
    paths = " ".join(quote(f"{_VERIFY_DIR}/{u}") for u in units)
    cmd = f"systemd-analyze verify {paths}; rc=$?; rm -rf -- {_VERIFY_DIR}; exit $rc"
    result = await host.run(cmd, check=False, timeout=60.0)
    if not result.ok:
        raise CommandError(
            host.name,
            f"systemd-analyze verify {' '.join(units)}",
            result.exit_status,
            result.stdout,
            result.stderr,
            hint="the rendered units are invalid or name a binary that is not installed yet",
        )


@register_step
@dataclass(frozen=True)
class WriteDockerUnits(EnsureStep):
    """End state: the ``docker`` group exists and ``/etc/systemd/system`` holds
    ``docker.socket`` and ``docker.service`` with ``socket`` and ``service``; systemd has
    re-read its units. The pair is checked with ``systemd-analyze verify`` before either is
    installed (``CommandError``, the old units untouched). Unchanged when both match.
    """

    name: ClassVar[str] = "runtime/write-docker-units"
    title: ClassVar[str] = "Write docker units"
    service: str
    socket: str

    async def ensure(self, host: Host) -> OpResult:
        group = await ensure_socket_group(host)
        units = {"docker.socket": self.socket, "docker.service": self.service}
        return combine([group, await ensure_units(host, units)])
