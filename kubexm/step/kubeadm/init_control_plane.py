"""Run ``kubeadm init`` on the first master, or finish an init that stopped half-way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.common.paths import ADMIN_CONF
from kubexm.errors import CommandError, StepError
from kubexm.plan import StepContext
from kubexm.runner.host import Host, poll_script
from kubexm.step.base import Step, register_step
from kubexm.step.kubeadm.credentials import KUBEADM, KUBECTL
from kubexm.step.kubeadm.init_phases import missing_objects, phase_commands
from kubexm.step.kubeadm.write_kubeadm_config import KUBEADM_CONFIG
from kubexm.util.shell import join

#: How long a control plane that kubeadm already made may take to answer again.
READY_TIMEOUT = 180.0


def readyz_command(port: int) -> str:
    """kubectl asking this host's own apiserver ``/readyz`` with the admin credentials."""
    return join(
        [
            KUBECTL,
            f"--kubeconfig={ADMIN_CONF}",
            f"--server=https://127.0.0.1:{port}",
            "--request-timeout=5s",
            "get",
            "--raw=/readyz",
        ]
    )


@register_step
@dataclass(frozen=True)
class InitControlPlane(Step):
    """End state: the first master runs a control plane made by ``kubeadm init --config``
    from the config ``WriteKubeadmConfig`` wrote: ``admin.conf`` exists, the local apiserver
    answers ``/readyz``, and the objects kubeadm makes through it exist (``kube-system/
    kubeadm-config``, ``kube-public/cluster-info``, the CoreDNS Deployment, the kube-proxy
    DaemonSet when ``kube_proxy``, the node labelled control-plane).

    ``check`` finds it done when all hold (a second run never calls kubeadm again). When
    ``admin.conf`` exists, ``run`` never runs init over the half-made node: it waits for the
    apiserver (the kubelet may be restarting the static pods), then, when an object is
    missing (an init killed after the control plane came up), runs the remaining idempotent
    ``kubeadm init phase`` commands with the same config. Fails with ``CommandError`` when
    kubeadm fails (its output names the phase) and with ``StepError`` when an existing
    control plane never answers.
    """

    name: ClassVar[str] = "kubeadm/init-control-plane"
    title: ClassVar[str] = "Initialise the control plane with kubeadm"
    serial_group: ClassVar[str | None] = "kubeadm-control-plane"
    timeout: ClassVar[float] = 1200.0
    port: int = 6443
    config_path: str = KUBEADM_CONFIG
    kube_proxy: bool = True

    async def check(self, ctx: StepContext) -> bool:
        host = Host(ctx.conn, dry_run=True)
        if not await host.test(f"test -f {ADMIN_CONF}"):
            return False
        if not await host.test(readyz_command(self.port), timeout=30.0):
            return False
        return not await self._missing(host)

    async def run(self, ctx: StepContext) -> None:
        host = Host(ctx.conn)
        if await host.test(f"test -f {ADMIN_CONF}"):
            ctx.log.info("admin.conf exists: waiting for the control plane kubeadm made")
            await self._wait(host, hint=self._reset_hint(host.name))
            await self._finish(ctx, host)
            return

        ctx.log.info("running kubeadm init")
        cmd = join([KUBEADM, "init", f"--config={self.config_path}"])
        await host.execute("run kubeadm init", cmd, timeout=self.timeout - 200.0)
        await self._wait(host, hint=f"see 'journalctl -u kubelet' on {host.name}")

    async def _missing(self, host: Host) -> list[str]:
        return await missing_objects(host, host.name, self.port, kube_proxy=self.kube_proxy)

    async def _finish(self, ctx: StepContext, host: Host) -> None:
        missing = await self._missing(host)
        if not missing:
            return
        ctx.log.info(
            "kubeadm init stopped before it made %s: running its remaining phases",
            ", ".join(missing),
        )
        for phase, cmd in phase_commands(self.config_path, kube_proxy=self.kube_proxy):
            await host.execute(f"run kubeadm init phase {phase}", cmd, timeout=300.0)

    async def _wait(self, host: Host, *, hint: str) -> None:
        cmd = poll_script(readyz_command(self.port), READY_TIMEOUT, interval=2.0)
        try:
            await host.wait(
                "the apiserver to answer /readyz", cmd, timeout=READY_TIMEOUT, hint=hint
            )
        except CommandError as exc:
            raise StepError(f"[{host.name}] the control plane does not answer", hint) from exc

    @staticmethod
    def _reset_hint(name: str) -> str:
        return (
            f"kubeadm left a control plane on {name} that does not come up: look at "
            f"'journalctl -u kubelet', or run 'kubeadm reset -f' there and run kubexm again"
        )
