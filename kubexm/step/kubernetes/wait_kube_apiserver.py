"""Wait until the API server on this master answers ``/readyz``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.common.paths import BIN_DIR
from kubexm.plan import StepContext
from kubexm.runner.host import Host, poll_script
from kubexm.step.base import Step, register_step
from kubexm.util.shell import join


def readyz_probe(kubeconfig: str) -> str:
    """kubectl asking the API server of ``kubeconfig`` for ``/readyz`` (quiet, 5 s)."""
    argv = [f"{BIN_DIR}/kubectl", "--kubeconfig", kubeconfig, "--request-timeout=5s"]
    return join([*argv, "get", "--raw", "/readyz"]) + " >/dev/null 2>&1"


@register_step
@dataclass(frozen=True)
class WaitKubeApiserver(Step):
    """End state: ``/readyz`` of the local API server answers ok to the administrator
    credentials of ``kubeconfig`` (whose server is ``https://127.0.0.1:6443``). ``check``
    finds it done when one probe passes; ``run`` polls up to ``wait_seconds`` and then fails
    with ``CommandError`` pointing at ``journalctl -u kube-apiserver``. Changes nothing.
    """

    name: ClassVar[str] = "kubernetes/wait-kube-apiserver"
    title: ClassVar[str] = "Wait for the API server"
    kubeconfig: str
    wait_seconds: float = 180.0

    async def check(self, ctx: StepContext) -> bool:
        return await Host(ctx.conn).test(readyz_probe(self.kubeconfig), timeout=30.0)

    async def run(self, ctx: StepContext) -> None:
        await Host(ctx.conn).wait(
            "kube-apiserver /readyz",
            poll_script(readyz_probe(self.kubeconfig), self.wait_seconds, interval=2.0),
            timeout=self.wait_seconds,
            hint=f"see 'journalctl -u kube-apiserver' on {ctx.host}",
        )
        ctx.log.info("kube-apiserver ready")
