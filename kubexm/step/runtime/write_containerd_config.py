"""Write containerd's config.toml (checked by containerd itself first) and the per-registry
``certs.d/<registry>/hosts.toml`` files for mirrors and insecure registries."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.criconfig import (
    CONTAINERD_CONFIG,
    ContainerdSettings,
    MirrorEndpoint,
    ensure_registry_hosts,
    render_containerd_config,
)
from kubexm.runner.files import ensure_file, get_file_state
from kubexm.runner.host import Host, OpResult, combine
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.hashing import sha256_text
from kubexm.util.shell import quote

_CHECK_DIR = "/run/kubexm/containerd-check"


@dataclass(frozen=True)
class RegistryHosts:
    """One ``certs.d/<registry>/hosts.toml``: the upstream ``server`` (None: the registry's
    default URL) and the endpoints tried before it."""

    registry: str
    mirrors: tuple[MirrorEndpoint, ...]
    server: str | None = None


@register_step
@dataclass(frozen=True)
class WriteContainerdConfig(EnsureStep):
    """End state: ``path`` holds the config rendered from ``settings`` (mode 0600 when it
    carries registry credentials, else 0644) and ``certs.d`` holds one hosts.toml per entry of
    ``registries``. A changed config is first loaded by ``<containerd> config dump`` from a
    staged copy, so a config containerd rejects never replaces the one a running containerd
    uses (``CommandError``, the installed file untouched). Unchanged when every file matches.
    """

    name: ClassVar[str] = "runtime/write-containerd-config"
    title: ClassVar[str] = "Write containerd config"
    settings: ContainerdSettings
    registries: tuple[RegistryHosts, ...] = ()
    secret: bool = False
    path: str = CONTAINERD_CONFIG
    containerd: str = "/usr/local/bin/containerd"

    def describe(self) -> str:
        names = ", ".join(r.registry for r in self.registries) or "no registry hosts"
        return f"{self.title} {self.path} ({names})"

    async def ensure(self, host: Host) -> OpResult:
        text = render_containerd_config(self.settings)
        mode = 0o600 if self.secret else 0o644
        hosts = [
            await ensure_registry_hosts(
                host, r.registry, r.mirrors, server=r.server, certs_dir=self.settings.config_path
            )
            for r in self.registries
        ]

        state = await get_file_state(host, self.path)
        if state.sha256 != sha256_text(text) and not host.dry_run:
            await self._validate(host, text)
        written = await ensure_file(host, self.path, text, mode=mode)
        return combine([*hosts, written])

    async def _validate(self, host: Host, text: str) -> None:
        staged = posixpath.join(_CHECK_DIR, "config.toml")
        await host.run(f"mkdir -p -m 700 -- {_CHECK_DIR}")
        await host.put(text.encode(), staged, mode=0o600)
        cmd = (
            f"{quote(self.containerd)} --config {staged} config dump >/dev/null; rc=$?; "
            f"rm -rf -- {_CHECK_DIR}; exit $rc"
        )
        result = await host.run(cmd, check=False, timeout=60.0)
        if not result.ok:
            raise CommandError(
                host.name,
                "containerd config dump (new config.toml)",
                result.exit_status,
                "",
                result.stderr,
                hint="containerd rejects the rendered config; check "
                "spec.kubernetes.containerRuntime.containerd (extraTomlConfig, version)",
            )
