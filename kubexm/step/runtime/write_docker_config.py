"""Write docker's ``daemon.json``, checked by dockerd itself first when it can."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.criconfig import DOCKER_DAEMON_JSON, DockerSettings, render_docker_daemon_json
from kubexm.runner.files import ensure_file, get_file_state
from kubexm.runner.host import Host, OpResult
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.util.hashing import sha256_text
from kubexm.util.shell import quote

_CHECK_DIR = "/run/kubexm/docker-check"


@register_step
@dataclass(frozen=True)
class WriteDockerConfig(EnsureStep):
    """End state: ``path`` holds the daemon.json rendered from ``settings`` (mode 0644).

    With ``validate`` (dockerd 23.0 and later know ``--validate``) a changed file is first
    loaded by ``dockerd --validate --config-file`` from a staged copy, so a file dockerd
    rejects never replaces the one a running docker uses (``CommandError``, the installed file
    untouched). Older dockerd cannot check a file without starting; the JSON kubexm renders
    from typed settings is then written unchecked. Unchanged when the file matches.
    """

    name: ClassVar[str] = "runtime/write-docker-config"
    title: ClassVar[str] = "Write docker daemon.json"
    settings: DockerSettings
    validate: bool = True
    path: str = DOCKER_DAEMON_JSON
    dockerd: str = "/usr/local/bin/dockerd"

    def describe(self) -> str:
        return f"{self.title} {self.path}"

    async def ensure(self, host: Host) -> OpResult:
        text = render_docker_daemon_json(self.settings)
        state = await get_file_state(host, self.path)
        if self.validate and state.sha256 != sha256_text(text) and not host.dry_run:
            await self._validate(host, text)
        return await ensure_file(host, self.path, text, mode=0o644)

    async def _validate(self, host: Host, text: str) -> None:
        staged = posixpath.join(_CHECK_DIR, "daemon.json")
        await host.run(f"mkdir -p -m 700 -- {_CHECK_DIR}")
        await host.put(text.encode(), staged, mode=0o600)
        cmd = (
            f"{quote(self.dockerd)} --validate --config-file {staged} >/dev/null; rc=$?; "
            f"rm -rf -- {_CHECK_DIR}; exit $rc"
        )
        result = await host.run(cmd, check=False, timeout=60.0)
        if not result.ok:
            raise CommandError(
                host.name,
                "dockerd --validate (new daemon.json)",
                result.exit_status,
                "",
                result.stderr,
                hint="dockerd rejects the rendered daemon.json; check "
                "spec.kubernetes.containerRuntime.docker (extraJsonConfig, storageDriver, "
                "logOpts)",
            )
