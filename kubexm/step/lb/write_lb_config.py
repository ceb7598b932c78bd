"""Write a load balancer's config, validated by the program itself, then reload it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from kubexm.errors import CommandError
from kubexm.runner.files import ensure_file, get_file_state
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import is_service_active, reload_service
from kubexm.step.base import register_step
from kubexm.step.ensure import EnsureStep
from kubexm.step.lb.tools import TOOLS, LbTool
from kubexm.util.hashing import sha256_bytes
from kubexm.util.shell import quote

CANDIDATE_SUFFIX = ".kubexm-candidate"


async def install_checked(host: Host, tool: LbTool, content: str) -> OpResult:
    """``tool.path`` holds ``content``; the new text is first written to a candidate path
    next to it and validated with ``tool.check``, then moved into place (same filesystem,
    so the live file is never half-written). Unchanged when the file already matches.

    Raises ``CommandError`` when validation fails; the live config is then untouched and
    the candidate removed.
    """
    data = content.encode()
    state = await get_file_state(host, tool.path)
    if state.kind == "file" and state.sha256 == sha256_bytes(data) and state.mode == tool.mode:
        return OpResult.unchanged(f"{tool.path} up to date")
    candidate = tool.path + CANDIDATE_SUFFIX

    async def write() -> None:
        await ensure_file(host, candidate, data, mode=tool.mode)
        checked = await host.run(tool.check.format(path=quote(candidate)), check=False)
        if not checked.ok:
            await host.run(f"rm -f -- {quote(candidate)}")
            raise CommandError(
                host.name,
                tool.check.format(path=candidate),
                checked.exit_status,
                checked.stdout,
                checked.stderr,
                hint=f"kubexm rendered an invalid {tool.service} config; the running one "
                "was kept. Report this with the output above",
            )
        await host.run(f"mv -f -- {quote(candidate)} {quote(tool.path)}")

    return await host.change(f"write {tool.path} (validated)", write)


@register_step
@dataclass(frozen=True)
class WriteLbConfig(EnsureStep):
    """End state: the config of ``tool`` (``haproxy``, ``nginx``, ``keepalived``) holds
    ``content``, validated by the tool before it replaced the old one, and each of
    ``scripts`` (path, text) is installed 0755 first (the config may name them).

    When the config changed and the service is running it is reloaded (not restarted), so
    open connections survive; a stopped service is left to ``StartLbService``. Unchanged
    when every file matches. Fails with ``CommandError`` when the config does not validate.
    ``content`` may carry a secret (keepalived's password): it never appears in a repr.
    """

    name: ClassVar[str] = "lb/write-lb-config"
    title: ClassVar[str] = "Write load-balancer config"
    tool: str
    content: str = field(repr=False)
    scripts: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        return f"Write {self.tool} config"

    async def ensure(self, host: Host) -> OpResult:
        tool = TOOLS[self.tool]
        results = [await ensure_file(host, path, text, mode=0o755) for path, text in self.scripts]

        written = await install_checked(host, tool, self.content)
        results.append(written)
        if written.changed and await is_service_active(host, tool.service):
            results.append(await reload_service(host, tool.service))
        return combine(results)
