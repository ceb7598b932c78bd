"""Start a runtime's systemd units, or restart them when what they run with changed.

Shared by the docker, cri-dockerd and CRI-O start steps: the digest of the binaries, config
and units a service was last (re)started with is kept in a stamp file, so a run that changed
none of them never restarts the service.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubexm.errors import CommandError
from kubexm.runner.host import Host, OpResult, combine
from kubexm.runner.systemd import ensure_service, get_service_state
from kubexm.util.shell import quote

STAMP_DIR = "/var/lib/kubexm"


def stamp_path(service: str) -> str:
    """Where the digest ``service`` was last (re)started with is recorded."""
    return f"{STAMP_DIR}/{service.removesuffix('.service')}.applied"


async def ensure_applied_service(
    host: Host, units: Sequence[str], digest: str, *, journal: str
) -> OpResult:
    """``units`` (sockets first, the service last) are enabled and running with ``digest``.

    A stopped service is enabled and started; a running one whose recorded digest differs is
    stopped and started again (with its sockets, so a changed socket unit takes effect).
    Unchanged when it runs, is enabled and the digest matches. Raises ``CommandError`` with a
    journalctl hint naming ``journal`` when systemd cannot start it.
    """
    service = units[-1]
    stamp = stamp_path(service)
    state = await get_service_state(host, service)
    applied = (await host.run(f"cat -- {stamp}", check=False)).stdout.strip()
    record = f"mkdir -p -- {STAMP_DIR} && printf '%s\\n' {quote(digest)} > {stamp}"
    if not state.running:
        cmd = _systemctl([("enable", units), ("start", units)])
        return await _act(host, f"enable and start {service}", f"{cmd} && {record}", journal)
    if applied != digest:
        cmd = _systemctl([("stop", tuple(reversed(units))), ("start", units)])
        what = f"restart {service} (settings changed)"
        return await _act(host, what, f"{cmd} && {record}", journal)
    return combine([await ensure_service(host, u, running=True, enabled=True) for u in units])


def _systemctl(actions: Sequence[tuple[str, Sequence[str]]]) -> str:
    """One ``systemctl <verb> <unit>`` per unit and verb, joined with ``&&``."""
    return " && ".join(f"systemctl {verb} {quote(u)}" for verb, units in actions for u in units)


async def _act(host: Host, what: str, cmd: str, journal: str) -> OpResult:
    try:
        return await host.execute(what, cmd)
    except CommandError as exc:
        exc.hint = exc.hint or f"see 'journalctl -u {journal}' on {host.name}"
        raise


def crictl_ready_probe(crictl: str, endpoint: str) -> str:
    """A shell test that succeeds when the CRI runtime at ``endpoint`` reports
    ``RuntimeReady`` (``NetworkReady`` waits for a CNI config and is not asked for)."""
    info = f"{quote(crictl)} --runtime-endpoint {quote(endpoint)} info 2>/dev/null"
    return f'{info} | tr -d \' \\n\\t\' | grep -q \'"type":"RuntimeReady","status":true\''
