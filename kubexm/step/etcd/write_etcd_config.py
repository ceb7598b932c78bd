"""Write the member's env file, the etcd unit and the etcdctl wrapper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kubexm.common.paths import ETCD_ENV_FILE
from kubexm.runner.files import ensure_file
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_unit
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.etcd.render import ETCDCTL_WRAPPER, UNIT_NAME


@register_step
@dataclass(frozen=True)
class WriteEtcdConfig(EnsureStep):
    """End state: ``/etc/etcd.env`` holds ``env``, ``etcd.service`` holds ``unit`` (checked
    with ``systemd-analyze verify`` before it is installed, then systemd reloads) and
    ``/usr/local/bin/etcdctl.sh`` holds ``wrapper``. Unchanged when all three match. It never
    restarts etcd: ``StartEtcd`` does that when the applied settings differ. Fails with
    ``CommandError`` when the unit does not verify (the installed one is then kept).
    """

    name: ClassVar[str] = "etcd/write-etcd-config"
    title: ClassVar[str] = "Write etcd config"
    env: str
    unit: str
    wrapper: str

    async def ensure(self, host: Host) -> OpResult:
        return combine(
            [
                await ensure_file(host, ETCD_ENV_FILE, self.env, mode=0o644),
                await ensure_unit(host, UNIT_NAME, self.unit),
                await ensure_file(host, ETCDCTL_WRAPPER, self.wrapper, mode=0o755),
            ]
        )
