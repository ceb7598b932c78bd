"""The ``preInstall``/``postInstall`` commands of an add-on, run on the first master."""

from __future__ import annotations

from collections.abc import Sequence

from kubexm.common.paths import BIN_DIR
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.kube import ADMIN_KUBECONFIG


async def run_hooks(host: Host, stage: str, commands: Sequence[str]) -> OpResult:
    """Run every command of ``stage`` in order through the dry-run gate, with the admin
    kubeconfig in ``KUBECONFIG``. Raises ``CommandError`` at the first failing command."""
    results = []
    for command in commands:
        wrapped = f"export KUBECONFIG={ADMIN_KUBECONFIG} PATH=$PATH:{BIN_DIR}; {command}"
        results.append(await host.execute(f"run {stage} hook: {command}", wrapped))
    return combine(results)
