"""Write CRI-O's ``crio.conf.d`` drop-in (checked by crio itself first), the containers
``registries.conf`` and ``policy.json``, and the pull credentials when there are any."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.criconfig import CRIO_DROPIN, POLICY_JSON, REGISTRIES_CONF
from kubexm.runner.files import ensure_file, get_file_state
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.hashing import sha256_text
from kubexm.util.shell import quote

_CHECK_DIR = "/run/kubexm/crio-check"
AUTH_FILE = "/etc/crio/auth.json"


@register_step
@dataclass(frozen=True)
class WriteCrioConfig(EnsureStep):
    """End state: ``dropin`` is at ``/etc/crio/crio.conf.d/10-kubexm.conf``, ``registries``
    at ``/etc/containers/registries.conf``, ``policy`` at ``/etc/containers/policy.json``
    (all 0644) and, when ``auth`` is set, the credentials at ``/etc/crio/auth.json`` (0600).
    A changed drop-in is first loaded by ``crio --config-dir <staged copy> config``, so one
    crio rejects never replaces the one a running crio uses (``CommandError``, the installed
    files untouched). Unchanged when every file matches.
    """

    name: ClassVar[str] = "runtime/write-crio-config"
    title: ClassVar[str] = "Write CRI-O config"
    dropin: str
    registries: str
    policy: str
    auth: str | None = None
    crio: str = "/usr/local/bin/crio"

    def describe(self) -> str:
        return f"{self.title} {CRIO_DROPIN}"

    async def ensure(self, host: Host) -> OpResult:
        state = await get_file_state(host, CRIO_DROPIN)
        if state.sha256 != sha256_text(self.dropin) and not host.dry_run:
            await self._validate(host)
        results = [
            await ensure_file(host, CRIO_DROPIN, self.dropin, mode=0o644),
            await ensure_file(host, REGISTRIES_CONF, self.registries, mode=0o644),
            await ensure_file(host, POLICY_JSON, self.policy, mode=0o644),
        ]
        if self.auth is not None:
            results.append(await ensure_file(host, AUTH_FILE, self.auth, mode=0o600))
        return combine(results)

    async def _validate(self, host: Host) -> None:
        staged = posixpath.join(_CHECK_DIR, posixpath.basename(CRIO_DROPIN))
        await host.run(f"mkdir -p -m 700 -- {_CHECK_DIR}")
        await host.put(self.dropin.encode(), staged, mode=0o600)
        cmd = (
            f"{quote(self.crio)} --config-dir {_CHECK_DIR} config >/dev/null; rc=$?; "
            f"rm -rf -- {_CHECK_DIR}; exit $rc"
        )
        result = await host.run(cmd, check=False, timeout=60.0)
        if not result.ok:
            raise CommandError(
                host.name,
                "crio config (new crio.conf.d drop-in)",
                result.exit_status,
                "",
                result.stderr,
                hint="crio rejects the rendered drop-in; check "
                "spec.kubernetes.containerRuntime.crio (extraTomlConfig, logLevel, storage)",
            )
